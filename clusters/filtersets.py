import django_filters
from django.db.models import F, Q
from django.db.models.fields.json import HasKey, KeyTextTransform
from django.db.models.lookups import Exact

from clusters.models import Cluster


def label_query(selectors: list[str]) -> Q:
    """`env=prod`, `env!=dev`, `team` (key exists); all must match.

    Keys become JSON key lookups built as expressions, not `labels__<key>` keyword lookups: a key such as
    `a__regex` must match a label of that name, not turn into a database lookup."""
    query = Q()
    for selector in selectors:
        for part in filter(None, (p.strip() for p in selector.split(","))):
            if "!=" in part:
                key, value = part.split("!=", 1)
                key = key.strip()  # as in Kubernetes, `env!=dev` also matches clusters without `env`
                query &= ~Q(HasKey(F("labels"), key)) | ~Q(Exact(KeyTextTransform(key, "labels"), value.strip()))
            elif "=" in part:
                key, value = part.split("=", 1)
                query &= Q(Exact(KeyTextTransform(key.strip(), "labels"), value.strip()))
            else:
                query &= Q(HasKey(F("labels"), part))
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
