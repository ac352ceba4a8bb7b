"""Edge <-> Podium customers: PD-1 ... PD-3, Podium's 202 queue and OAuth, through the engine.

Podium-side edits are made as a Podium user would (the fake's web-app methods, in effect at
once); Edge edits as a POS user. The connector's own writes are queued by the fake and take
effect after ``visibility_delay`` seconds of Podium's clock (``world.later``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.toolkit import FaultPlan, FaultRule, RateLimit
from framework.config import parse_config
from framework.errors import ConfigError
from tests.podium_world import CLIENT_SECRET, REFRESH_TOKEN, PodiumWorld, edge_podium_config

UPLOAD_ONLY = {"flows": {"customer": {"direction": "pos_to_platform"}}}


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made: list[PodiumWorld] = []

    def build(overrides: dict[str, Any] | None = None, **options: Any) -> PodiumWorld:
        world = PodiumWorld(tmp_path / f"w{len(made)}", overrides, **options)
        made.append(world)
        return world

    yield build
    for world in made:
        world.close()


@pytest.fixture
def world(make: Any) -> PodiumWorld:
    built: PodiumWorld = make()
    return built


def add(world: PodiumWorld, first: str, last: str, email: str | None = None, **fields: Any) -> str:
    emails = [("Home", email)] if email else []
    return world.edge.add_customer(first, last, emails=emails, **fields)


def writes(report: Any) -> dict[str, int]:
    return {k: v for k, v in report.counts.items() if k.split(".")[1] in ("create", "update")}


# -- PD-1: tiers ----------------------------------------------------------------------------------


@pytest.mark.rule("PD-1")
def test_item_sync_on_clientele_is_refused_before_anything_runs(tmp_path: Path):
    config = edge_podium_config(tmp_path, podium={"tier": "clientele"})
    with pytest.raises(ConfigError) as refused:
        parse_config(config, source="store.toml", base_dir=tmp_path)
    message = str(refused.value)
    assert "\n" not in message, "one line"
    assert message.startswith("store.toml: pairs.store.flows.product: PD-1: item sync needs")
    assert "Clientele+" in message
    assert 'direction = "off"' in message, "says how to go on"
    assert not (tmp_path / "state.db").exists(), "nothing ran"


@pytest.mark.rule("PD-1", "PD-4")
def test_clientele_syncs_customers_and_sales_without_items(make: Any):
    world = make({"flows": {"product": {"direction": "off"}}}, tier="clientele")
    key = add(world, "Ada", "Lovelace", "ada@example.com")
    ring = world.edge.add_item("Solitaire ring", price=3200.0)
    world.edge.add_sale(key, [{"item": ring, "amount": 3200.0}])
    world.settle()
    contact = world.contact_of(key)
    [purchase] = world.pd.purchases_of(contact["uid"])
    assert purchase["productXid"] == ring, "the sale went up, naming its item"
    assert list(world.pd.products.records) == [], "no product, not even an archived one"
    assert sum(r.counts["product.read.pos"] for r in world.reports) == 0, "items never read"
    assert world.problems() == []


@pytest.mark.rule("PD-1")
def test_the_connector_and_podium_refuse_product_writes_on_clientele(make: Any):
    from framework.errors import RecordRejected
    from framework.models import Product, WriteOp, WriteRequest

    world = make({"flows": {"product": {"direction": "off"}}}, tier="clientele")
    system = world.engine.systems["podium"]
    request = WriteRequest(
        entity="product",
        op=WriteOp.CREATE,
        record=Product(item_key="001-100-00001", title="Ring"),
        idempotency_key="k",
    )
    with pytest.raises(RecordRejected) as refused:
        world.engine.hooks.apply_change(system, request)
    assert refused.value.rule == "PD-1"
    assert "Clientele+" in str(refused.value)
    assert world.faults.summary()["calls"] == 0, "refused before any call"
    assert list(world.pd.products.records) == []


# -- PD-2: the two customer options -----------------------------------------------------------


@pytest.mark.rule("PD-2", "G-2")
def test_option_one_uploads_all_customers_and_downloads_all_back(world: PodiumWorld):
    keys = [add(world, f"First{i}", f"Last{i}", f"person{i}@example.com") for i in range(12)]
    world.edge.edit_customer(keys[0], CustomerXfer=False)  # "ALL customers": flagged or not
    podium = world.pd.add_contact("Cloud Born", email="cloud@example.com")
    first = world.sync()
    assert first.counts["customer.create.platform"] == 12
    assert first.counts["customer.create.pos"] == 1
    world.settle()
    assert len(world.contacts()) == 13
    assert world.edge_by_name("Cloud", "Born"), "the Podium customer came down"
    assert world.edge_key_of(podium["uid"])
    assert {m.rules for m in world.moves("customer") if m.action == "create"} == {
        ("PD-2",),
        ("PD-3",),
    }


@pytest.mark.rule("PD-2", "G-1")
def test_option_two_uploads_all_customers_and_never_downloads(make: Any):
    world = make(UPLOAD_ONLY)
    key = add(world, "Edge", "Only", "edge.only@example.com", CustomerAcquisition="Walk-in")
    world.pd.add_contact("Cloud Born", email="cloud@example.com", phone="+12175550100")
    world.settle()
    contact = world.contact_of(key)
    assert contact["name"] == "Edge Only", "uploaded"
    world.pd.edit_contact(contact["uid"], name="Renamed In Podium", phones=["+12175550199"])
    world.pd.add_email(contact["uid"], "second@example.com")
    world.pd.edit_contact(contact["uid"], attributes={"Acquisition": "Instagram"})
    reports = [world.settle() for _ in range(2)]
    assert list(world.edge.customers) == [key], "no Podium customer came down"
    assert world.edge_emails(key) == ["edge.only@example.com"], "no contact method came down"
    assert world.edge_phones(key) == []
    assert world.edge.customers[key]["CustomerAcquisition"] == "Walk-in"
    assert not list(world.edge.outbox.glob("*CustomerList.json")), "no import was ever written"
    assert not list(world.edge.processed.glob("*CustomerList.json"))
    assert (
        sum(r.counts["customer.create.pos"] + r.counts["customer.update.pos"] for r in reports) == 0
    )
    world.edge.edit_customer(key, CustomerFirstName="Edgar")
    world.settle()
    assert world.contact_of(key)["name"] == "Edgar Only", "still uploads"


@pytest.mark.rule("PD-2", "G-5")
def test_a_customer_podium_cannot_hold_is_reported_not_sent(world: PodiumWorld):
    key = add(world, "No", "Channel")  # neither phone nor e-mail
    kept = add(world, "Has", "Email", "has@example.com")
    world.settle()
    [problem] = [p for p in world.problems() if p.rule == "PD-2"]
    assert "phone number or an e-mail" in problem.reason
    assert [c["name"] for c in world.contacts()] == ["Has Email"]
    assert world.contact_of(kept)
    world.edge.add_contact(key, "Emails", "Home", EmailEmail="found@example.com")
    world.settle()
    assert world.contact_of(key)["emails"] == ["found@example.com"], "sent once it can be"


# -- PD-3: new Podium customers, contact methods, acquisition ----------------------------------


@pytest.mark.rule("PD-3", "G-8")
def test_new_podium_customers_come_down_flagged_with_their_acquisition_once(world: PodiumWorld):
    plain = world.pd.add_contact("Noor Haddad", email="noor@example.com", phone="+12175550142")
    tagged = world.pd.add_contact(
        "Liam Brown", email="liam@example.com", attributes={"Acquisition": "Instagram"}
    )
    world.settle()
    noor = world.edge.customers[world.edge_key_of(plain["uid"])]
    liam = world.edge.customers[world.edge_key_of(tagged["uid"])]
    assert (noor["CustomerFirstName"], noor["CustomerLastName"]) == ("Noor", "Haddad")
    assert noor["CustomerXfer"] is True, "set to synchronise"
    assert noor["CustomerAcquisition"] == "Podium", "how a Podium-originated customer shows"
    assert liam["CustomerAcquisition"] == "Instagram"
    assert noor["CustomerUpdateUser"] == "1", "G-8: the default associate"
    world.pd.edit_contact(tagged["uid"], attributes={"Acquisition": "Walk-in"})
    world.settle()
    assert liam["CustomerAcquisition"] == "Instagram", "a later Podium change never overwrites"
    assert len(world.edge.customers) == 2


@pytest.mark.rule("PD-3", "G-3")
def test_podium_customers_match_edge_customers_on_email(world: PodiumWorld):
    key = add(world, "Grace", "Hopper", "Grace.Hopper@Example.com")
    world.edge.run_cycle()
    contact = world.pd.add_contact("Grace Hopper", email="grace.hopper@EXAMPLE.com")
    world.settle()
    assert world.edge_key_of(contact["uid"]) == key
    assert len(world.edge.customers) == 1, "linked, not created in Edge"
    assert len(world.contacts()) == 1, "linked, not created in Podium"
    assert any(m.action == "link" and m.rules == ("G-3",) for m in world.moves("customer"))


@pytest.mark.rule("G-3", "PD-2")
def test_customers_sharing_an_email_or_phone_are_reported_not_merged_in_podium(world):
    first = add(world, "Pat", "Smith", "shared@example.com")
    spouse = add(world, "Sam", "Smith", "Shared@Example.com")  # Podium would merge them
    world.settle()
    [problem] = world.problems()
    assert problem.rule == "G-3"
    assert problem.record_id == spouse
    assert "keeps one customer per email" in problem.reason
    assert first in problem.reason, "names the customer holding it"
    assert [c["name"] for c in world.contacts()] == ["Pat Smith"], "Pat's contact untouched"
    world.edge.add_contact(first, "Phones", "Cell", PhonePhone="2175550100")
    world.settle()
    later = add(world, "Lee", "Jones", "lee@example.com")
    world.edge.add_contact(later, "Phones", "Cell", PhonePhone="2175550100")
    world.settle()
    assert any("keeps one customer per phone" in p.reason for p in world.problems())
    world.edge.edit_customer(spouse, Emails=[])
    world.edge.add_contact(spouse, "Emails", "Home", EmailEmail="sam@example.com")
    world.settle()
    assert world.contact_of(spouse)["emails"] == ["sam@example.com"], "created once distinct"
    assert world.contact_of(first)["name"] == "Pat Smith"


@pytest.mark.rule("PD-3")
def test_edge_contact_changes_overwrite_podium(world: PodiumWorld):
    key = add(world, "Mia", "Wong", "mia@example.com")
    world.edge.add_contact(key, "Phones", "Cell", PhonePhone="2175550142")
    world.settle()
    before = world.contact_of(key)
    world.edge.edit_customer(key, Emails=[])
    world.edge.add_contact(key, "Emails", "Work", EmailEmail="mia.wong@example.com")
    world.settle()
    after = world.contact_of(key)
    assert after["uid"] == before["uid"]
    assert after["emails"] == ["mia.wong@example.com"], "Edge's change replaced Podium's"
    assert after["phoneNumbers"] == ["+12175550142"]


@pytest.mark.rule("PD-3")
def test_podium_contact_changes_are_added_in_edge_as_new_methods(world: PodiumWorld):
    key = add(world, "Liam", "Brown", "liam@example.com")
    world.edge.add_contact(key, "Phones", "Cell", PhonePhone="2175550142")
    world.settle()
    uid = world.contact_of(key)["uid"]
    world.pd.edit_contact(uid, phones=["+12175550199"], emails=["liam.b@example.com"])
    world.pd.add_email(uid, "liam@work.example")
    world.settle()
    assert world.edge_emails(key) == [
        "liam@example.com",
        "liam.b@example.com",
        "liam@work.example",
    ], "added, Edge's own kept first"
    assert world.edge_phones(key) == ["2175550142", "2175550199"], "never updated or erased"
    assert world.edge.customers[key]["CustomerPrefEMail"] == "Home", "Edge's preferred stays"


@pytest.mark.rule("PD-3")
def test_a_conflict_sends_edges_values_up_and_adds_podiums_in_edge(world: PodiumWorld):
    key = add(world, "Kai", "Moana", "kai@example.com")
    world.settle()
    uid = world.contact_of(key)["uid"]
    world.pd.edit_contact(uid, emails=["kai.podium@example.com"])
    world.edge.edit_customer(key, Emails=[])
    world.edge.add_contact(key, "Emails", "Home", EmailEmail="kai.edge@example.com")
    world.settle()
    assert world.edge_emails(key) == ["kai.edge@example.com", "kai.podium@example.com"]
    assert world.contact_of(key)["emails"][0] == "kai.edge@example.com", "Edge's went up"


@pytest.mark.rule("PD-3")
def test_edge_acquisition_uploads(world: PodiumWorld):
    key = add(world, "Ada", "Lovelace", "ada@example.com", CustomerAcquisition="Walk-in")
    world.settle()
    assert world.pd.attribute_values(world.contact_of(key)["uid"])["Acquisition"] == "Walk-in"
    world.edge.edit_customer(key, CustomerAcquisition="Referral")
    world.settle()
    assert world.pd.attribute_values(world.contact_of(key)["uid"])["Acquisition"] == "Referral"


@pytest.mark.rule("PD-2")
def test_mapped_custom_fields_are_contact_attributes(world: PodiumWorld):
    key = add(world, "Ada", "Lovelace", "ada@example.com", CustomerKey1="6", CustomerKey2="gold")
    world.settle()
    uid = world.contact_of(key)["uid"]
    values = world.pd.attribute_values(uid)
    assert values["Ring size"] == "6"
    assert "gold" not in values.values(), "an unmapped field never moves"
    world.pd.edit_contact(uid, attributes={"Ring size": "7"})
    world.settle()
    assert world.edge.customers[key]["CustomerKey1"] == "7", "both ways, under the field map"


# -- Podium's 202 queue: adopted, never duplicated ----------------------------------------------


@pytest.mark.rule("G-3", "G-6", "PD-2")
def test_queued_creates_are_adopted_when_they_show_without_duplicates(make: Any):
    world = make(visibility_delay=600.0)
    keys = [add(world, f"Q{i}", "Queued", f"q{i}@example.com") for i in range(4)]
    phone_only = world.edge.add_customer("Pho", "Ne", phones=[("Cell", "2175550177")])
    keys.append(phone_only)  # no e-mail to match on: only the link code finds its contact
    first = world.sync()
    assert first.counts["customer.create.platform"] == 5
    for _ in range(3):  # runs while Podium's queue still holds the creates
        quiet = world.sync()
        assert writes(quiet) == {}, "nothing sent again while queued"
        assert world.contacts() == []
        assert all(world.link_of("customer", "pos", k).pending_on("platform") for k in keys)
    world.later(601)
    adopted = world.sync()
    contacts = world.contacts()
    assert len(contacts) == 5, "one contact per customer"
    assert {world.edge_key_of(c["uid"]) for c in contacts} == set(keys), "adopted by link code"
    assert adopted.counts["customer.echo"] == 5, "and recognised as our own writes (G-4)"
    assert writes(adopted) == {}
    assert len(world.edge.customers) == 5, "none came down as new"
    for _ in range(2):
        world.later(601)
        assert writes(world.sync()) == {}


@pytest.mark.rule("G-6", "PD-3")
def test_an_edge_change_made_while_the_create_is_queued_lands_once_visible(make: Any):
    world = make(visibility_delay=600.0)
    key = add(world, "Late", "Comer", "late@example.com")
    world.sync()
    world.edge.edit_customer(key, CustomerFirstName="Lately")
    blocked = world.sync()  # the contact is not visible: the update is retried, then waits
    assert any("not visible yet" in e for e in blocked.errors)
    [waiting] = world.engine.store.intents("store")
    assert waiting.request["fields"] == ["first_name", "last_name"], "the one name, whole"
    assert world.contacts() == []
    world.later(601)
    world.settle()
    [contact] = world.contacts()
    assert contact["name"] == "Lately Comer"
    assert world.engine.store.intents("store") == []
    assert len(world.edge.customers) == 1


@pytest.mark.rule("G-6", "G-5")
def test_a_create_replayed_after_a_crash_makes_no_second_contact(make: Any):
    world = make(visibility_delay=600.0)
    for i in range(3):
        add(world, f"C{i}", "Crash", f"c{i}@example.com")
    world.edge.run_cycle()
    apply_batch = world.engine.hooks.apply_batch

    def dies_after_sending(system: Any, requests: Any) -> Any:  # Podium took the writes
        apply_batch(system, requests)
        raise KeyboardInterrupt

    world.engine.hooks.apply_batch = dies_after_sending
    with pytest.raises(KeyboardInterrupt):
        world.engine.run_pair("store")
    world.engine.hooks.apply_batch = apply_batch
    assert len(world.engine.store.intents("store")) == 3
    replay = world.engine.run_pair("store")  # still queued: the replay is an upsert
    assert replay.counts["journal.replayed"] == 3
    world.later(601)
    world.settle()
    assert len(world.contacts()) == 3, "the upsert on e-mail kept one contact each"
    assert len(world.edge.customers) == 3
    assert world.engine.store.intents("store") == []


# -- OAuth 2 and Podium's limits ------------------------------------------------------------------


@pytest.mark.rule("G-5")
def test_expired_tokens_are_refreshed_and_the_run_goes_on(world: PodiumWorld):
    add(world, "Tok", "En", "token@example.com")
    world.settle()
    issued = world.pd.oauth.issued
    world.later(36001)  # ten hours on: Podium answers 401 to the token held
    key = add(world, "After", "Expiry", "after@example.com")
    report = world.settle()
    assert report.errors == []
    assert world.pd.oauth.issued == issued + 1, "one new token, obtained on the 401"
    assert world.contact_of(key)


@pytest.mark.rule("G-5")
def test_a_token_about_to_expire_is_refreshed_before_podium_refuses_it(
    tmp_path: Path, monkeypatch: Any
):
    from plugins.podium import auth
    from tests.podium_spec import Recorder

    now = [1000.0]
    monkeypatch.setattr(auth, "monotonic", lambda: now[0])  # the connector's clock only
    recorders: list[Recorder] = []

    def record(inner: Any) -> Recorder:
        recorders.append(Recorder(inner))
        return recorders[-1]

    world = PodiumWorld(tmp_path, transport=record)
    try:
        world.pd.oauth.ttl = 3600
        add(world, "Early", "Bird", "early@example.com")
        world.settle()
        assert world.pd.oauth.issued == 1
        now[0] += 3600 - 300  # five minutes left of the hour: still good
        world.later(3600 - 300)
        world.sync()
        assert world.pd.oauth.issued == 1
        now[0] += 290  # ten seconds left (under a tenth of its life): renewed first
        world.later(290)
        add(world, "Second", "Bird", "second@example.com")
        world.settle()
        assert world.pd.oauth.issued == 2
        statuses = [response.status_code for _, response in recorders[0].exchanges]
        assert 401 not in statuses, "Podium never had to refuse a token"
        assert world.contact_by_email("second@example.com")
    finally:
        world.close()


@pytest.mark.rule("G-5")
def test_secrets_and_tokens_never_show_in_logs_errors_or_state(make: Any, caplog: Any):
    caplog.set_level(logging.DEBUG)
    world = make()
    add(world, "Sec", "Ret", "secret@example.com")
    world.settle()
    tokens = list(world.pd.oauth.tokens)
    world.pd.oauth.refresh_token = "granted-to-another"  # the store revoked the grant
    world.pd.oauth.expire_all()
    add(world, "Locked", "Out", "locked@example.com")
    report = world.sync()
    assert any("refused" in e and "refresh token" in e for e in report.errors)
    state = (world.tmp / "state.db").read_bytes()
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, *tokens):
        assert secret not in caplog.text
        assert secret not in " ".join(report.errors)
        assert secret.encode() not in state
    assert world.engine.store.inbox_count("store", "customer") == 1, "the change waits"
    world.pd.oauth.refresh_token = REFRESH_TOKEN  # the store authorised syncwright again
    world.settle()
    assert world.contact_by_email("locked@example.com"), "nothing was lost"


@pytest.mark.rule("G-5")
def test_rate_limit_answers_are_waited_out_and_nothing_is_lost(make: Any):
    world = make()
    world.engine.retry = world.engine.retry.__class__(attempts=8, initial_wait=0.01, max_wait=1.5)
    # Tighter than the client's own pace (290 a minute, spread over the minute): 429s come.
    world.faults.configure(FaultPlan(rate_limit=RateLimit(requests=3, window=1.0)))
    keys = [add(world, f"R{i}", "Limit", f"r{i}@example.com") for i in range(20)]
    report = world.settle()
    assert report.errors == []
    assert world.faults.summary()["rate_limited"] > 0, "Podium did answer 429 rate_limit"
    assert len(world.contacts()) == 20
    assert all(world.contact_of(k) for k in keys)


@pytest.mark.rule("G-5")
def test_server_errors_are_retried(world: PodiumWorld):
    world.fail(FaultRule(kind="503", every=3, path="/v4/contacts"))
    add(world, "Flaky", "Server", "flaky@example.com")
    report = world.settle()
    assert report.errors == []
    assert len(world.contacts()) == 1
