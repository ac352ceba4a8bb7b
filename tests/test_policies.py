"""The five precedence policies and the three-way merge, on plain data."""

from __future__ import annotations

import pytest

from framework.engine.flows import Direction, FlowSpec
from framework.engine.merge import merge
from framework.engine.policies import (
    KEEP,
    AddOnly,
    AppendAsNew,
    CreateOnly,
    FieldState,
    Ignore,
    Overwrite,
    RecordWins,
    WinnerRecord,
    get_policy,
)
from framework.models import Customer


def state(
    pos,
    platform,
    *,
    pos_changed=False,
    platform_changed=False,
    direction=Direction.BOTH,
    winner="pos",
    identity=repr,
) -> FieldState:
    return FieldState(
        "f", pos, platform, pos_changed, platform_changed, direction, winner, identity
    )


# -- overwrite --------------------------------------------------------------------------------


@pytest.mark.rule("G-1")
def test_overwrite_moves_the_changed_side():
    assert Overwrite().resolve(state("a", "b", pos_changed=True)).to_platform == "a"
    assert Overwrite().resolve(state("a", "b", platform_changed=True)).to_pos == "b"


def test_overwrite_conflict_goes_to_the_winner():
    both = dict(pos_changed=True, platform_changed=True)
    assert Overwrite().resolve(state("a", "b", **both)).to_platform == "a"
    out = Overwrite().resolve(state("a", "b", winner="platform", **both))
    assert out.to_pos == "b"
    assert out.to_platform is KEEP


@pytest.mark.rule("G-1")
def test_overwrite_never_flows_against_the_direction():
    up_only = Direction.POS_TO_PLATFORM
    assert not Overwrite().resolve(state("a", "b", platform_changed=True, direction=up_only)).writes
    down_only = Direction.PLATFORM_TO_POS
    assert not Overwrite().resolve(state("a", "b", pos_changed=True, direction=down_only)).writes
    conflict = state("a", "b", pos_changed=True, platform_changed=True, direction=down_only)
    assert Overwrite().resolve(conflict).to_pos == "b", "the only allowed way wins"
    assert (
        not Overwrite().resolve(state("a", "b", pos_changed=True, direction=Direction.OFF)).writes
    )


def test_overwrite_equal_values_write_nothing():
    assert not Overwrite().resolve(state("a", "a", pos_changed=True, platform_changed=True)).writes


# -- append_as_new (CB-3) ---------------------------------------------------------------------


def email(address: str, preferred: bool = False) -> dict:
    return {"address": address, "label": "Home", "preferred": preferred, "promo": None}


def email_identity(item: dict) -> str:
    return Customer.item_identity("emails", item)  # type: ignore[return-value]


@pytest.mark.rule("CB-3")
def test_append_as_new_pos_change_overwrites_platform():
    s = state(
        [email("a@x.com", True)],
        [email("old@x.com", True)],
        pos_changed=True,
        identity=email_identity,
    )
    out = AppendAsNew().resolve(s)
    assert out.to_platform == [email("a@x.com", True)]
    assert out.to_pos is KEEP


@pytest.mark.rule("CB-3")
def test_append_as_new_platform_change_is_added_not_replacing():
    s = state(
        [email("a@x.com", True)],
        [email("b@x.com", True)],
        platform_changed=True,
        identity=email_identity,
    )
    out = AppendAsNew().resolve(s)
    assert out.to_pos == [email("a@x.com", True), email("b@x.com", False)]
    assert out.to_platform is KEEP


@pytest.mark.rule("CB-3")
def test_append_as_new_never_erases_or_updates_pos_elements():
    s = state(
        [email("a@x.com", True), email("c@x.com")],
        [],
        platform_changed=True,
        identity=email_identity,
    )
    assert not AppendAsNew().resolve(s).writes
    s = state(
        [email("a@x.com", True)],
        [email("A@X.COM", True)],
        platform_changed=True,
        identity=email_identity,
    )
    assert not AppendAsNew().resolve(s).writes, "same address, other case: nothing new"


@pytest.mark.rule("CB-3")
def test_append_as_new_conflict_pos_goes_up_and_platform_is_added():
    s = state(
        [email("a@x.com", True)],
        [email("b@x.com", True)],
        pos_changed=True,
        platform_changed=True,
        identity=email_identity,
    )
    out = AppendAsNew().resolve(s)
    assert out.to_pos == [email("a@x.com", True), email("b@x.com", False)]
    assert out.to_platform == out.to_pos


# -- create_only (CB-5) -----------------------------------------------------------------------


@pytest.mark.rule("CB-5")
def test_create_only_winner_changes_flow_and_loser_changes_never_do():
    assert CreateOnly().resolve(state("Walk-in", "x", pos_changed=True)).to_platform == "Walk-in"
    assert not CreateOnly().resolve(state("Walk-in", "Instagram", platform_changed=True)).writes
    conflict = state("Walk-in", "Instagram", pos_changed=True, platform_changed=True)
    assert CreateOnly().resolve(conflict).to_platform == "Walk-in"


@pytest.mark.rule("CB-5")
def test_create_only_travels_with_a_new_record():
    assert CreateOnly().copies_on_create("pos")
    assert CreateOnly().copies_on_create("platform")


# -- record_wins (IS-2) -----------------------------------------------------------------------


def kowalski_states(street_changed: bool, email_changed: bool) -> list[FieldState]:
    """Jan Kowalski: F/K (pos) changed the street, IdoSell (platform) changed the e-mail."""
    return [
        FieldState(
            "street",
            "Nowa 1" if street_changed else "Stara 5",
            "Stara 5",
            street_changed,
            False,
            Direction.BOTH,
        ),
        FieldState(
            "email",
            "jan@fk.pl",
            "jan@shop.pl" if email_changed else "jan@fk.pl",
            False,
            email_changed,
            Direction.BOTH,
        ),
    ]


@pytest.mark.rule("IS-2")
def test_record_wins_conflict_writes_the_whole_winner_record_over_the_loser():
    out = RecordWins().resolve_record(kowalski_states(True, True), winner="pos")
    assert out is not None
    assert out["street"].to_platform == "Nowa 1"
    assert out["email"].to_platform == "jan@fk.pl", "the field only IdoSell changed goes too"
    assert all(o.to_pos is KEEP for o in out.values()), "F/K is untouched"


@pytest.mark.rule("IS-2")
def test_record_wins_without_conflict_leaves_fields_to_their_policies():
    assert RecordWins().resolve_record(kowalski_states(False, True), winner="pos") is None
    assert RecordWins().resolve_record(kowalski_states(True, False), winner="pos") is None


@pytest.mark.rule("IS-2", "IS-5")
def test_winner_record_sends_the_whole_winner_record_on_any_winner_change():
    states = kowalski_states(True, False)
    states.append(FieldState("first_name", None, "Jan", False, False, Direction.BOTH))
    out = WinnerRecord().resolve_record(states, winner="pos")
    assert out is not None
    assert out["street"].to_platform == "Nowa 1"
    assert out["first_name"].to_platform is None, "a value the winner lacks is cleared (IS-5)"
    assert "email" not in out, "equal values do not move"


@pytest.mark.rule("IS-2")
def test_winner_record_leaves_a_loser_only_change_to_the_field_policies():
    assert WinnerRecord().resolve_record(kowalski_states(False, True), winner="pos") is None
    assert WinnerRecord().resolve_record(kowalski_states(False, False), winner="pos") is None
    conflict = WinnerRecord().resolve_record(kowalski_states(True, True), winner="pos")
    assert conflict is not None
    assert conflict["email"].to_platform == "jan@fk.pl"


@pytest.mark.rule("IS-2")
def test_record_wins_counts_changes_of_every_field_but_decides_only_those_given():
    only_street = kowalski_states(True, False)[:1]
    assert RecordWins().resolve_record(only_street, "pos", changed=(True, False)) is None
    out = RecordWins().resolve_record(only_street, "pos", changed=(True, True))
    assert out is not None
    assert out["street"].to_platform == "Nowa 1"


# -- add_only (IS-9) ---------------------------------------------------------------------------


def address(street: str, city: str = "Kraków", preferred: bool = False) -> dict:
    return {"street1": street, "city": city, "postal_code": "30-001", "preferred": preferred}


def address_identity(item: dict) -> object:
    return Customer.item_identity("delivery_addresses", item)


def add_state(pos, platform, pos_old, platform_old, direction=Direction.BOTH) -> FieldState:
    return FieldState(
        "delivery_addresses",
        pos,
        platform,
        pos != pos_old,
        platform != platform_old,
        direction,
        "pos",
        address_identity,
        pos_old,
        platform_old,
    )


@pytest.mark.rule("IS-9")
def test_add_only_adds_a_new_element_on_either_side_to_the_other():
    a, b, c = address("Długa 1"), address("Krótka 2"), address("Żytnia 3")
    out = AddOnly().resolve(add_state([a, b], [a, c], [a], [a]))
    assert out.to_platform == [a, c, b], "the POS's new address is added, IdoSell's kept"
    assert out.to_pos == [a, b, c], "IdoSell's new address is added, the POS's kept"


@pytest.mark.rule("IS-9")
def test_add_only_never_replaces_or_removes():
    a, b = address("Długa 1"), address("Krótka 2")
    out = AddOnly().resolve(add_state([b], [a], [a], [a]))
    assert out.to_pos is KEEP, "the POS removed an address: it is not copied back"
    assert out.to_platform == [a, b], "the POS's new address is added, nothing replaced"
    assert not AddOnly().resolve(add_state([a], [], [a], [a])).writes, "a removal is not copied"


@pytest.mark.rule("IS-9")
def test_add_only_matches_elements_by_normalised_identity():
    a = address("Długa 1")
    same = {**address("  DŁUGA 1 "), "city": "KRAKÓW"}
    assert not AddOnly().resolve(add_state([a], [a, same], [a], [a])).writes


@pytest.mark.rule("IS-9")
def test_add_only_unites_both_lists_on_first_sync_and_keeps_preferences():
    a, b = address("Długa 1", preferred=True), address("Krótka 2", preferred=True)
    out = AddOnly().resolve(add_state([a], [b], None, None))
    assert out.to_pos == [a, {**b, "preferred": False}], "added as non-preferred"
    assert out.to_platform == [b, {**a, "preferred": False}]


@pytest.mark.rule("IS-9", "G-1")
def test_add_only_honours_the_direction():
    a, b = address("Długa 1"), address("Krótka 2")
    out = AddOnly().resolve(add_state([a], [b], [], [], Direction.POS_TO_PLATFORM))
    assert out.to_pos is KEEP
    assert out.to_platform == [b, a]


@pytest.mark.rule("IS-2", "IS-9")
def test_record_level_policies_never_replace_add_only_lists():
    spec = FlowSpec.model_validate(
        {
            "record_policy": "winner_record",
            "record_rule": "IS-2",
            "fields": {
                "first_name": {"policy": "overwrite"},
                "last_name": {"policy": "overwrite"},
                "delivery_addresses": {"policy": "add_only", "rule": "IS-9"},
            },
        }
    )
    a, b, c = address("Długa 1"), address("Krótka 2"), address("Żytnia 3")
    shadow = {"first_name": "Jan", "last_name": "Kowalski", "delivery_addresses": [a]}
    result = merge(
        spec,
        Customer,
        ({**shadow, "last_name": "Nowak", "delivery_addresses": [a, b]}, shadow),
        ({**shadow, "first_name": "Janek", "delivery_addresses": [a, c]}, shadow),
    )
    assert result.to_platform["last_name"] == "Nowak", "the whole F/K record wins (IS-2)"
    assert result.to_platform["first_name"] == "Jan", "even what only IdoSell changed"
    assert result.to_platform["delivery_addresses"] == [a, c, b], "added, nothing replaced"
    assert result.to_pos == {"delivery_addresses": [a, b, c]}, "IdoSell's new address comes down"
    rules = {d.field: (d.policy, d.rule) for d in result.decisions}
    assert rules["delivery_addresses"] == ("add_only", "IS-9")
    assert rules["first_name"] == ("winner_record", "IS-2"), "IS-2 decided it"
    assert rules["last_name"] == ("overwrite", None), "the field's own policy would have too"


# -- ignore (CB-11) ---------------------------------------------------------------------------


@pytest.mark.rule("CB-11")
def test_ignore_never_moves_even_on_create():
    conflict = state("a", "b", pos_changed=True, platform_changed=True)
    assert not Ignore().resolve(conflict).writes
    assert not Ignore().copies_on_create("platform")


def test_unknown_policy_names_the_known_ones():
    with pytest.raises(KeyError, match="append_as_new"):
        get_policy("apend")


# -- the merge --------------------------------------------------------------------------------


def flow(**fields) -> FlowSpec:
    return FlowSpec.model_validate({"fields": fields})


def test_merge_detects_changes_against_each_side_shadow():
    spec = flow(first_name={"policy": "overwrite"}, last_name={"policy": "overwrite"})
    shadow = {"first_name": "Ada", "last_name": "King"}
    result = merge(
        spec,
        Customer,
        ({"first_name": "Ada", "last_name": "Lovelace"}, shadow),
        ({"first_name": "Augusta", "last_name": "King"}, shadow),
    )
    assert result.to_platform == {"last_name": "Lovelace"}
    assert result.to_pos == {"first_name": "Augusta"}


def test_merge_of_dict_fields_is_key_by_key():
    spec = flow(custom={"policy": "overwrite"})
    shadow = {"custom": {"Ring": "6", "Metal": "Gold"}}
    result = merge(
        spec,
        Customer,
        ({"custom": {"Ring": "6", "Metal": "Silver"}}, shadow),
        ({"custom": {"Ring": "7", "Metal": "Gold"}}, shadow),
    )
    assert result.to_platform == {"custom": {"Metal": "Silver"}}
    assert result.to_pos == {"custom": {"Ring": "7"}}
    assert result.platform_fields == ["custom.Metal"]
    assert result.pos_fields == ["custom.Ring"]


def test_first_sync_without_shadow_treats_differences_as_conflicts():
    spec = flow(first_name={"policy": "overwrite"}, acquisition={"policy": "create_only"})
    result = merge(
        spec,
        Customer,
        ({"first_name": "Ada", "acquisition": None}, None),
        ({"first_name": "Augusta", "acquisition": "Web"}, None),
    )
    assert result.to_platform == {"first_name": "Ada"}, "the winner's value"
    assert result.to_pos == {}, "create_only never takes the platform value on a link"


def test_merge_skips_writes_the_target_would_store_unchanged():
    spec = flow(emails={"policy": "append_as_new"})
    both = [email("a@x.com", True), email("b@x.com")]
    result = merge(
        spec,
        Customer,
        (both, None) and ({"emails": both}, {"emails": both[:1]}),
        ({"emails": [email("a@x.com", True)]}, {"emails": [email("a@x.com", True)]}),
        platform_view=lambda field, value: value[:1],
    )
    assert result.to_platform == {}, "the platform keeps one e-mail, already the preferred one"
