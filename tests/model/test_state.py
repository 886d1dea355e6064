"""The evented model: per-field events, subscribers told once per update, the expression as the first
curve, overlays, parameters, and hostile data in the new fields falling back entry by entry."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivgui.model.state import (
    CURVE_COLORS,
    DEFAULT_EXPRESSION,
    DEFAULT_OVERLAYS,
    MAX_CURVES,
    MAX_PARAMETERS,
    OVERLAYS,
    AppState,
    Curve,
    Parameter,
    check_field,
    check_parameter_name,
)


def recorder(state: AppState) -> list:
    calls: list = []
    state.subscribe(lambda changed: calls.append(set(changed)))
    return calls


# -- events ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value", [
    ("a", 2.0), ("delta_a", 0.5), ("b", -1.0), ("delta_b", 3.0), ("x_range", (-1.0, 1.0)),
    ("surface_x_range", (0.0, 2.0)), ("surface_y_range", (0.0, 3.0)), ("surface_range_custom", True),
    ("curves", (Curve("x"), Curve("y", "#123456", False))), ("parameters", (Parameter("k", 1.0),)),
    ("overlays", {**DEFAULT_OVERLAYS, "plane": False}), ("lesson", "A kink"),
])
@pytest.mark.parametrize("how", ["update", "setattr"])
def test_each_field_emits_its_own_event(name, value, how):
    state = AppState()
    old = getattr(state, name)
    seen: list = []
    state.events[name].connect(lambda new, before: seen.append((new, before)))
    others: list = []
    for other in AppState.field_names():
        if other != name:
            state.events[other].connect(lambda *args, other=other: others.append(other))
    calls = recorder(state)
    if how == "update":
        assert state.update(**{name: value}) >= {name}
    else:
        setattr(state, name, value)
    assert seen == [(value, old)]
    assert others == []
    assert calls == [{name} | ({"expression"} if name == "curves" else set())]
    state.update(**{name: value})  # the same value again: nothing
    setattr(state, name, value)
    assert len(seen) == 1 and len(calls) == 1


def test_update_tells_each_subscriber_once_with_the_whole_set():
    state = AppState()
    calls = recorder(state)
    second = recorder(state)
    changed = state.update(a=2.0, delta_a=0.25, x_range=[-2, 2], show_plane=False, expression="x^2", lesson="L")
    assert changed == {"a", "delta_a", "x_range", "overlays", "curves", "expression", "lesson"}
    assert calls == second == [changed]
    assert state.x_range == (-2, 2) and isinstance(state.x_range, tuple)
    assert state.update(a=2.0, delta_a=0.25) == set() and calls == [changed]  # nothing changed: no call


def test_per_field_events_see_the_whole_update():
    state = AppState()
    seen: list = []
    state.events.a.connect(lambda *_: seen.append(("a", state.a, state.delta_a, len(calls))))
    state.events.delta_a.connect(lambda *_: seen.append(("delta_a", state.a, state.delta_a, len(calls))))
    calls = recorder(state)
    state.update(a=3.0, delta_a=0.5)
    assert seen == [("a", 3.0, 0.5, 0), ("delta_a", 3.0, 0.5, 0)]  # every field set first; subscribers last
    assert calls == [{"a", "delta_a"}]


def test_a_failing_listener_leaves_no_event_held():
    state = AppState()

    def boom(*_args):
        raise RuntimeError("boom")

    state.events.a.connect(boom)
    with pytest.raises(Exception, match="boom"):
        state.update(a=2.0, b=3.0)
    state.events.a.disconnect(boom)
    assert (state.a, state.b) == (2.0, 3.0)
    seen: list = []
    state.events.b.connect(lambda *args: seen.append(args))
    calls = recorder(state)
    state.update(b=4.0)
    assert seen == [(4.0, 3.0)] and calls == [{"b"}]


def test_a_direct_set_tells_the_subscribers_after_the_field_listeners():
    state = AppState()
    order: list = []
    state.subscribe(lambda changed: order.append(("subscriber", changed)))
    state.events.b.connect(lambda *_: order.append("field"))
    state.b = 4.0
    assert order == ["field", ("subscriber", {"b"})]


def test_a_listener_that_updates_again_is_told_of_both():
    state = AppState()
    calls = recorder(state)
    state.events.a.connect(lambda new, _old: state.update(b=new * 2))  # a dependent field
    state.update(a=3.0)
    assert state.b == 6.0
    assert calls == [{"b"}, {"a"}]  # the inner update is told at once, then the outer one

    calls.clear()
    state.events.delta_a.connect(lambda new, _old: setattr(state, "delta_b", new))
    state.update(delta_a=0.5, a=1.0)
    assert calls == [{"b"}, {"delta_a", "a", "delta_b"}]  # a direct set inside an update joins it


def test_unsubscribe():
    state = AppState()
    calls: list = []
    unsubscribe = state.subscribe(calls.append)
    state.a = 2.0
    unsubscribe()
    unsubscribe()
    state.a = 3.0
    assert calls == [{"a"}]


def test_update_refuses_unknown_names():
    state = AppState()
    for name in ("nope", "_hub", "show_normal", "events", "show_nothing"):
        with pytest.raises(AttributeError):
            state.update(**{name: 1})


def test_states_compare_by_their_fields():
    state = AppState()
    recorder(state)
    assert state == AppState()
    state.a = 2.0
    assert state != AppState()
    assert AppState.from_dict(state.to_dict()) == state


def test_update_with_another_states_dict_copies_it():
    other = AppState()
    other.update(curves=(Curve("x^2", "#ff0000"), Curve("sin(x)", visible=False)),
                 parameters=(Parameter("k", 2.0, 0.0, 3.0),), a=2.0, x_range=(-1.0, 1.0), lesson="L")
    other.set_overlay("plane", False)
    state = AppState()
    calls = recorder(state)
    state.update(**other.to_dict())
    assert state == other
    assert calls == [{"curves", "expression", "parameters", "a", "x_range", "lesson", "overlays"}]


# -- the expression is the first curve ------------------------------------------------------------


def test_the_expression_is_the_first_curves_text():
    state = AppState()
    assert state.expression == DEFAULT_EXPRESSION
    assert state.curves == (Curve(DEFAULT_EXPRESSION, CURVE_COLORS[0], True),)
    state.update(curves=(Curve("x^2", "#ff0000", False), Curve("sin(x)", "#00ff00")))
    texts: list = []
    state.events.expression.connect(lambda new, old: texts.append((new, old)))
    calls = recorder(state)
    assert state.update(expression="tanh(x)") == {"curves", "expression"}
    assert state.curves == (Curve("tanh(x)", "#ff0000", False), Curve("sin(x)", "#00ff00"))  # colour kept
    state.expression = "x^3"
    assert state.expression == "x^3"
    assert texts == [("tanh(x)", "x^2"), ("x^3", "tanh(x)")]
    assert calls == [{"curves", "expression"}, {"curves", "expression"}]


def test_changing_another_curve_is_not_an_expression_change():
    state = AppState()
    state.update(curves=[*state.curves, Curve("sin(x)")])
    texts: list = []
    state.events.expression.connect(lambda *args: texts.append(args))
    calls = recorder(state)
    state.update(curves=(state.curves[0], Curve("cos(x)")))
    state.update(curves=(Curve(state.expression, "#000000"), Curve("cos(x)")))  # the first curve's colour
    assert texts == []
    assert calls == [{"curves"}, {"curves"}]


def test_expression_and_curves_in_one_update():
    state = AppState()
    state.update(curves=(Curve("a"), Curve("b")), expression="c")  # the expression goes on top
    assert [c.text for c in state.curves] == ["c", "b"]
    state.update(expression="d", curves=(Curve("e"),))  # whatever the order of the keywords
    assert [c.text for c in state.curves] == ["d"]


# -- overlays -------------------------------------------------------------------------------------


def test_overlays_default_and_helpers():
    state = AppState()
    assert OVERLAYS == ("f", "derivative", "secant", "tangent", "guides", "gradient", "slices", "plane")
    assert state.overlays == {name: True for name in OVERLAYS}
    assert state.overlay("plane") and not state.overlay("normal") and not state.overlay("no such overlay")
    seen: list = []
    state.events.overlays.connect(lambda new, old: seen.append((new["plane"], old["plane"])))
    calls = recorder(state)
    before = state.overlays
    assert state.set_overlay("plane", False) == {"overlays"}
    assert state.overlays is not before and before["plane"]  # a new dict: the old one is left as it was
    assert state.set_overlay("plane", False) == set()
    assert seen == [(False, True)] and calls == [{"overlays"}]
    state.set_overlay("future", True)  # a name this version does not know: kept
    assert state.overlay("future")


def test_old_show_keys_map_to_overlays():
    state = AppState()
    assert state.update(show_f=False, show_plane=False) == {"overlays"}
    assert not state.overlay("f") and not state.overlay("plane") and state.overlay("secant")
    state.update(overlays={"f": True})  # the names left out take their defaults
    assert state.overlays == DEFAULT_OVERLAYS
    state.update(overlays={"secant": True}, show_secant=False)  # show_* on top
    assert not state.overlay("secant")


# -- checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["k", "omega_2", "_t", "A", "x1", "yy", "k" * 32])
def test_good_parameter_names(name):
    assert check_parameter_name(name) == name


@pytest.mark.parametrize("name", ["x", "y", "pi", "e", "sin", "ln", "exp", "1a", "a b", "", "é", "k" * 33, 3, None,
                                  "\ud800", "a\x00", "a-b"])
def test_bad_parameter_names(name):
    with pytest.raises(ValueError):
        check_parameter_name(name)


@pytest.mark.parametrize("name, value", [
    ("curves", []), ("curves", [{"text": "x", "color": "red"}]), ("curves", [{"text": "x", "visible": 1}]),
    ("curves", [{"text": 3}]), ("curves", "x"), ("curves", [{"text": "x"}] * (MAX_CURVES + 1)),
    ("parameters", [{"name": "x", "value": 1}]), ("parameters", [{"name": "k", "value": 20}]),
    ("parameters", [{"name": "k", "value": 1, "lo": 2, "hi": 1}]), ("parameters", [{"name": "k", "value": math.nan}]),
    ("parameters", [{"name": "k", "value": 1}, {"name": "k", "value": 2}]), ("parameters", {}),
    ("overlays", {"plane": 1}), ("overlays", {"future": "yes"}), ("overlays", []),
    ("lesson", 3), ("lesson", "\x00"), ("expression", None), ("show_f", 1), ("a", math.nan), ("delta_a", 0),
])
def test_check_field_refuses(name, value):
    with pytest.raises(ValueError) as info:
        check_field(name, value)
    assert str(info.value).startswith(name)


def test_check_field_takes_and_converts():
    assert check_field("curves", [{"text": "x", "color": "#ABCDEF"}, Curve("y")]) == (
        Curve("x", "#abcdef", True), Curve("y", CURVE_COLORS[0], True))
    assert check_field("parameters", [{"name": "k", "value": 2}]) == (Parameter("k", 2.0, -10.0, 10.0),)
    assert check_field("parameters", (Parameter("k", 0.5, 0, 1),)) == (Parameter("k", 0.5, 0.0, 1.0),)
    assert check_field("overlays", {"plane": False, "future": True}) == {**DEFAULT_OVERLAYS, "plane": False,
                                                                         "future": True}
    assert check_field("lesson", "A kink") == "A kink"
    assert check_field("expression", "x^2") == "x^2"
    assert check_field("show_plane", False) is False


# -- loading: version 1 keys, and hostile values field by field ------------------------------------


def test_from_dict_reads_the_keys_of_before():
    problems: list[str] = []
    state = AppState.from_dict({"expression": "x^2", "show_f": False, "show_plane": False, "a": 2}, problems)
    assert problems == []
    assert state.curves == (Curve("x^2", CURVE_COLORS[0], True),)
    assert state.overlays == {**DEFAULT_OVERLAYS, "f": False, "plane": False}
    assert state.a == 2.0


def test_first_curve_colours_follow_the_palette():
    state = AppState.from_dict({"curves": [{"text": "x"}, {"text": "y"}, {"text": "z", "visible": False}]})
    assert [c.color for c in state.curves] == list(CURVE_COLORS[:3])
    assert [c.visible for c in state.curves] == [True, True, False]


def deep(depth: int):
    value: object = 1.0
    for _ in range(depth):
        value = [value]
    return value


HUGE = 10 ** 400
GOOD = {"curves": [{"text": "x^2", "color": "#ff0000", "visible": False}, {"text": "sin(x)"}],
        "parameters": [{"name": "k", "value": 2.0, "lo": 0.0, "hi": 5.0}],
        "overlays": {**DEFAULT_OVERLAYS, "plane": False},
        "lesson": "A kink", "a": 0.5}

# (field, hostile value, what is kept of the field: a function of the loaded state, and a word of the note)
HOSTILE = [
    ("curves", math.nan, lambda s: s.curves == AppState().curves, "list"),
    ("curves", HUGE, lambda s: s.curves == AppState().curves, "list"),
    ("curves", "x^2", lambda s: s.curves == AppState().curves, "list"),
    ("curves", [], lambda s: s.curves == AppState().curves, "at least one"),
    ("curves", deep(500), lambda s: s.curves == AppState().curves, "expression"),
    ("curves", [{"text": "x"}] * 100_000, lambda s: len(s.curves) == MAX_CURVES, "first 16 of 100000"),
    ("curves", [{"text": "x"}, 5, {"text": "y"}], lambda s: [c.text for c in s.curves] == ["x", "y"], "curve 2"),
    ("curves", [{"text": "x"}, {"color": "#000000"}], lambda s: [c.text for c in s.curves] == ["x"], "no text"),
    ("curves", [{"text": 7}, {"text": "y"}], lambda s: [c.text for c in s.curves] == [DEFAULT_EXPRESSION, "y"],
     "default"),
    ("curves", [{"text": "\ud800"}], lambda s: s.expression == DEFAULT_EXPRESSION, "characters"),
    ("curves", [{"text": "x" * 20_000}], lambda s: s.expression == DEFAULT_EXPRESSION, "too long"),
    ("curves", [{"text": "x", "color": "red"}], lambda s: s.curves == (Curve("x", CURVE_COLORS[0]),), "colour"),
    ("curves", [{"text": "x", "color": HUGE}], lambda s: s.curves == (Curve("x", CURVE_COLORS[0]),), "colour"),
    ("curves", [{"text": "x", "visible": "no"}], lambda s: s.curves == (Curve("x"),), "visible"),
    ("curves", [{"text": "x", "visible": math.nan}], lambda s: s.curves == (Curve("x"),), "visible"),
    ("parameters", math.inf, lambda s: s.parameters == (), "list"),
    ("parameters", {"k": 1}, lambda s: s.parameters == (), "list"),
    ("parameters", deep(500), lambda s: s.parameters == (), "object"),
    ("parameters", [{"name": "x", "value": 1.0}], lambda s: s.parameters == (), "variable"),
    ("parameters", [{"name": "sin", "value": 1.0}], lambda s: s.parameters == (), "function"),
    ("parameters", [{"name": "1k", "value": 1.0}], lambda s: s.parameters == (), "name"),
    ("parameters", [{"name": "k" * 10_000, "value": 1.0}], lambda s: s.parameters == (), "name"),
    ("parameters", [{"name": HUGE, "value": 1.0}], lambda s: s.parameters == (), "text"),
    ("parameters", [{"name": "k", "value": math.nan}], lambda s: s.parameters == (), "finite"),
    ("parameters", [{"name": "k", "value": HUGE}], lambda s: s.parameters == (), "finite"),
    ("parameters", [{"name": "k", "value": True}], lambda s: s.parameters == (), "number"),
    ("parameters", [{"name": "k"}], lambda s: s.parameters == (), "value"),
    ("parameters", [{"name": "k", "value": 1, "lo": 5, "hi": 5}], lambda s: s.parameters == (), "range"),
    ("parameters", [{"name": "k", "value": 1, "lo": -1e308, "hi": 1e308}], lambda s: s.parameters == (), "range"),
    ("parameters", [{"name": "k", "value": 9, "lo": 0, "hi": 5}], lambda s: s.parameters == (Parameter("k", 5, 0, 5),),
     "outside"),
    ("parameters", [{"name": "k", "value": 1}, {"name": "k", "value": 2}],
     lambda s: s.parameters == (Parameter("k", 1.0),), "twice"),
    ("parameters", [{"name": f"k{i}", "value": 1} for i in range(100_000)],
     lambda s: len(s.parameters) == MAX_PARAMETERS, "first 16 of 100000"),
    ("overlays", [True] * 9, lambda s: s.overlays == DEFAULT_OVERLAYS, "object"),
    ("overlays", HUGE, lambda s: s.overlays == DEFAULT_OVERLAYS, "object"),
    ("overlays", {"plane": math.nan, "f": False}, lambda s: s.overlays == {**DEFAULT_OVERLAYS, "f": False}, "plane"),
    ("overlays", {"plane": deep(500)}, lambda s: s.overlays == DEFAULT_OVERLAYS, "plane"),
    ("overlays", {"future": 1, "later": True}, lambda s: s.overlays == {**DEFAULT_OVERLAYS, "later": True},
     "1 unknown entry"),
    ("overlays", {"\ud800": True, "x" * 100: True}, lambda s: s.overlays == DEFAULT_OVERLAYS, "2 unknown entries"),
    ("overlays", {f"o{i}": True for i in range(100_000)}, lambda s: len(s.overlays) == len(OVERLAYS) + 32,
     "99968 unknown"),
    ("lesson", 5, lambda s: s.lesson == "", "text"),
    ("lesson", None, lambda s: s.lesson == "", "text"),
    ("lesson", deep(500), lambda s: s.lesson == "", "text"),
    ("lesson", "a\x00b", lambda s: s.lesson == "", "characters"),
    ("lesson", "t" * 20_000, lambda s: s.lesson == "", "too long"),
]


@pytest.mark.parametrize("field, value, kept, said", HOSTILE)
def test_hostile_values_fall_back_field_by_field(field, value, kept, said):
    data = {**GOOD, field: value}
    problems: list[str] = []
    state = AppState.from_dict(json.loads(json.dumps(data, allow_nan=True)), problems)
    assert kept(state)
    good = AppState.from_dict(GOOD)
    for name in AppState.field_names():  # the other fields are kept
        if name != field:
            assert getattr(state, name) == getattr(good, name), name
    assert problems and all(p.startswith(field) for p in problems), problems
    assert any(said in p for p in problems), problems
    assert all(len(p) < 160 for p in problems), problems  # a huge value is never quoted back
    assert len(problems) <= 2
    assert_usable(state)


def assert_usable(state: AppState) -> None:
    assert state.to_safe_dict() == state.to_dict()
    json.dumps(state.to_dict(), allow_nan=False)
    assert AppState.from_dict(state.to_dict()) == state


def test_to_safe_dict_leaves_out_what_cannot_be_saved():
    state = AppState()
    state.update(curves=(Curve("\ud800"), Curve("x", "not a colour"), Curve("y", visible=None)),
                 parameters=(Parameter("k", math.nan), Parameter("x", 1.0), Parameter("m", 3.0, 1.0, 1.0),
                             Parameter("n", 20.0), Parameter("p", 1.0)),
                 overlays={"plane": False, "future": "yes"}, lesson="\x00")
    data = state.to_safe_dict()
    assert data["curves"] == [{"text": DEFAULT_EXPRESSION, "color": CURVE_COLORS[0], "visible": True},
                              {"text": "x", "color": CURVE_COLORS[1], "visible": True},
                              {"text": "y", "color": CURVE_COLORS[0], "visible": True}]
    assert data["parameters"] == [{"name": "n", "value": 10.0, "lo": -10.0, "hi": 10.0},
                                  {"name": "p", "value": 1.0, "lo": -10.0, "hi": 10.0}]
    assert data["overlays"] == {**DEFAULT_OVERLAYS, "plane": False}
    assert data["lesson"] == ""
    json.dumps(data, allow_nan=False)
    problems: list[str] = []
    AppState.from_dict(data, problems)
    assert problems == []


def test_compiled_state_is_not_saved():
    assert not {"compiled", "status", "error"} & set(AppState().to_dict())
    assert set(AppState().to_dict()["curves"][0]) == {"text", "color", "visible"}


# -- random hostile JSON in the new fields --------------------------------------------------------

scalars = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                    st.integers(min_value=10 ** 300, max_value=10 ** 420), st.booleans(), st.none(),
                    st.text(max_size=12), st.sampled_from(["\ud800", "\x00", "x", "k", "#ff0000", "#FFF", "sin"]))
keys = st.sampled_from(["text", "color", "visible", "name", "value", "lo", "hi", "f", "plane", "future", ""])
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)), max_leaves=16)
entries = st.dictionaries(keys, values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(curves=st.one_of(values, st.lists(entries, max_size=20)), parameters=st.one_of(values, st.lists(entries)),
       overlays=st.one_of(values, st.dictionaries(st.one_of(keys, st.text(max_size=50)), values)), lesson=values)
def test_random_hostile_new_fields_never_raise(curves, parameters, overlays, lesson):
    data = {"curves": curves, "parameters": parameters, "overlays": overlays, "lesson": lesson, "a": 0.25}
    problems: list[str] = []
    state = AppState.from_dict(data, problems)
    assert state.a == 0.25
    assert 1 <= len(state.curves) <= MAX_CURVES and len(state.parameters) <= MAX_PARAMETERS
    assert all(isinstance(p, str) and len(p) < 200 for p in problems)
    assert_usable(state)
    for parameter in state.parameters:
        assert parameter.lo <= parameter.value <= parameter.hi


def test_each_curve_has_a_compile_status_that_is_evented_and_never_saved():
    from derivgui.model.compile_status import COMPILING, ERROR, READY

    state = AppState()
    status = state.compile_status_of(0)
    seen: list = []
    status.events.state.connect(lambda new, _old: seen.append(new))
    status.compiling("x^")
    status.failed("x^", "expected something after '^'")
    status.compiling("x^2")
    status.ready("x^2", ("x",))
    assert seen == [COMPILING, ERROR, COMPILING, READY] and status.variables == ("x",)
    assert state.compile_status_of(1) is state.compile_status[1]  # one per curve, made when asked for
    assert "compile_status" not in state.to_dict() and AppState.from_dict(state.to_dict()) == state
