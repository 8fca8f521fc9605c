import django_filters

from cnimgr.api.filters import UTCDateTimeFilter
from operations.models import Run, RunEvent, RunState


class RunFilterSet(django_filters.FilterSet):
    cluster = django_filters.CharFilter(field_name="cluster_name")
    state = django_filters.MultipleChoiceFilter(choices=RunState.choices)
    actor = django_filters.CharFilter(field_name="actor_username")
    since = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UTCDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Run
        fields = ["cluster", "kind", "state", "actor", "since", "until"]


class RunEventFilterSet(django_filters.FilterSet):
    after = django_filters.NumberFilter(field_name="seq", lookup_expr="gt", label="Only events after this seq")
    level = django_filters.CharFilter()
    step = django_filters.CharFilter()

    class Meta:
        model = RunEvent
        fields = ["after", "level", "step"]
