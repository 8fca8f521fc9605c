"""Whatever a user (or API client) sends, validation answers with CNIValues or InvalidParams, never a crash."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.cni.merge import CHART_DEFAULTS, FLAG_TO_VALUE
from lifecycle.cni.render import render
from lifecycle.cni.values import build_values
from lifecycle.errors import InvalidParams
from lifecycle.versions import catalogue

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=12),
                    st.sampled_from(["info", "nft", "/opt/cni/bin", "25,443", "IfNotPresent", "v1.6.8", "1-5"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)
values_dicts = st.dictionaries(st.sampled_from(sorted(CHART_DEFAULTS)), json_values, max_size=4)
flag_dicts = st.dictionaries(st.sampled_from(sorted(FLAG_TO_VALUE)), scalars, max_size=3)
releases = st.sampled_from(sorted(catalogue().values(), key=lambda r: r.version))


@settings(max_examples=300, deadline=None)
@given(values=values_dicts, flags=flag_dicts, release=releases)
def test_validation_only_raises_invalid_params(values, flags, release):
    try:
        validated = build_values(values, flags, release)
    except InvalidParams as exc:
        assert exc.field and exc.message
        return
    render(validated, release)  # anything accepted must render
