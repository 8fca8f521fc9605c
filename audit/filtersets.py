import django_filters

from audit.models import AuditEvent
from cnimgr.api.filters import UTCDateTimeFilter


class AuditEventFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_username")
    action = django_filters.CharFilter(field_name="action")
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    cluster = django_filters.CharFilter()
    request_id = django_filters.CharFilter()
    since = UTCDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = UTCDateTimeFilter(field_name="timestamp", lookup_expr="lte")
    q = django_filters.CharFilter(method="search", label="Search in object name and message")
    label = django_filters.CharFilter(method="filter_labels", label="Clusters matching a label selector, e.g. env=prod")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id", "cluster", "request_id", "since", "until"]

    def filter_labels(self, queryset, _name, value):
        from clusters.filtersets import label_query
        from clusters.models import Cluster

        selectors = self.request.query_params.getlist("label") if self.request else [value]
        names = Cluster.objects.filter(label_query(selectors)).values_list("name", flat=True)
        return queryset.filter(cluster__in=list(names))

    def search(self, queryset, _name, value):
        from django.db.models import Q

        return queryset.filter(Q(object_name__icontains=value) | Q(message__icontains=value))
