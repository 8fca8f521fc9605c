import django_filters
from django.db.models import Q

from clusters.models import Cluster


def label_query(selectors: list[str]) -> Q:
    """`env=prod`, `env!=dev`, `team` (key exists); all must match."""
    query = Q()
    for selector in selectors:
        for part in filter(None, (p.strip() for p in selector.split(","))):
            if "!=" in part:
                key, value = part.split("!=", 1)
                query &= ~Q(**{f"labels__{key.strip()}": value.strip()})
            elif "=" in part:
                key, value = part.split("=", 1)
                query &= Q(**{f"labels__{key.strip()}": value.strip()})
            else:
                query &= Q(**{"labels__has_key": part})
    return query


class ClusterFilterSet(django_filters.FilterSet):
    label = django_filters.CharFilter(method="filter_labels", label="Label selector, e.g. env=prod,region=eu")
    q = django_filters.CharFilter(method="search", label="Search name, display name and description")

    class Meta:
        model = Cluster
        fields = ["enabled", "name", "cni_version", "control_plane_version", "reachable"]

    def filter_labels(self, queryset, _name, _value):
        return queryset.filter(label_query(self.request.query_params.getlist("label") if self.request else [_value]))

    def search(self, queryset, _name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(display_name__icontains=value) | Q(description__icontains=value)
        )
