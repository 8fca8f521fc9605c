from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class SequenceCursorPagination(pagination.CursorPagination):
    """Stable paging over append-only rows: new rows never shift a page."""

    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "seq"


class NewestFirstCursorPagination(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"
