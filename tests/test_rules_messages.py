"""CB-9: messages sent through Clientbook -> the Edge customer's Activity tab, one way.
CB-12: Edge text notifications through Clientbook's SMS back end, never shown in Clientbook."""

from __future__ import annotations

import pytest

from tests.harness import World

SMS_ON = {"flows": {"sms_notification": {"direction": "pos_to_platform"}}}


def customer(world: World, phone: str = "2175550142") -> str:
    return world.edge.add_customer(
        "Ada", "Lovelace", emails=[("Home", "ada@example.com")], phones=[("Cell", phone)]
    )


@pytest.mark.rule("CB-9", "G-8")
def test_emails_and_texts_sent_through_clientbook_appear_on_the_edge_activity(world: World):
    key = customer(world)
    world.settle()
    client_id = world.client_of(key)["id"]
    world.cb.send_message(client_id, "email", "Your ring is ready.", "as_12", subject="Ready")
    world.cb.send_message(client_id, "sms", "See you at 3pm", "as_77")
    world.settle()
    activity = sorted(world.edge.activity_of(key), key=lambda a: a["ActivityType"])
    assert [
        (a["ActivityType"], a["ActivitySubject"], a["ActivityText"], a["ActivityAssociate"])
        for a in activity
    ] == [
        ("Email", "Ready", "Your ring is ready.", "12"),
        ("Text", None, "See you at 3pm", "1"),
    ]
    assert all(a["ActivitySource"] == "Clientbook" for a in activity)
    assert {m.rules for m in world.moves("message")} == {("CB-9",)}
    world.settle()
    assert len(world.edge.activity_of(key)) == 2, "each message once (G-6)"


@pytest.mark.rule("CB-9", "G-1")
def test_edge_notifications_and_activity_never_go_up(world: World):
    key = customer(world)
    world.settle()
    client_id = world.client_of(key)["id"]
    world.cb.send_message(client_id, "sms", "Hello", "as_12")
    world.settle()
    world.edge.notify_text(key, "Your repair is ready", "Repair ready")  # SMS provider off
    world.edge.tables["ActivityList"].edit(
        world.edge.activity_of(key)[0]["ActivityKey"], {"ActivityText": "Edited in Edge"}
    )
    versions = world.versions()
    report = world.settle()
    assert world.versions() == versions, "nothing written to Clientbook"
    assert [m["body"] for m in world.cb.messages.live()] == ["Hello"]
    assert world.cb.sms == {}
    assert report.counts["message.read.pos"] == 0


@pytest.mark.rule("CB-9")
def test_a_message_to_a_client_new_to_edge_lands_once_its_customer_does(world: World):
    client = world.cb.create_client({"first_name": "Noor", "email": "noor@example.com"}, "as_12")
    world.cb.send_message(client["id"], "sms", "Welcome!", "as_12")
    world.settle(runs=5)  # customer down, its echo, the message down, EDT's two runs
    [noor] = world.edge_by_name("Noor", None)  # type: ignore[arg-type]
    assert [a["ActivityText"] for a in world.edge.activity_of(noor["CustomerKey"])] == ["Welcome!"]


@pytest.mark.rule("CB-12")
def test_edge_texts_go_through_the_clientbook_sms_back_end_and_nowhere_else(make_world):
    world = make_world(SMS_ON)
    key = customer(world)
    world.settle()
    activity_before = len(world.cb.activity.records)
    world.edge.notify_text(key, "Your repair is ready for pick-up", "Repair ready")
    world.settle()
    [sms] = world.cb.sms.values()
    assert (sms["to"], sms["body"], sms["status"]) == (
        "+12175550142",
        "Your repair is ready for pick-up",
        "queued",
    )
    assert len(world.cb.activity.records) == activity_before, "not in recent activity"
    assert list(world.cb.messages.live()) == [], "not a Clientbook message"
    assert [m.rules for m in world.moves("sms_notification")] == [("CB-12",)]


@pytest.mark.rule("CB-12", "G-6")
def test_a_text_is_sent_once_even_when_edge_exports_it_again(make_world):
    world = make_world(SMS_ON)
    key = customer(world)
    note = world.edge.notify_text(key, "Ready", "Repair ready")
    world.settle()
    world.edge.tables["NotificationList"].edit(note, {"NotificationText": "Ready (resent)"})
    world.edge.run_cycle(full=True)  # a full export repeats every notification too
    world.settle()
    assert [s["body"] for s in world.cb.sms.values()] == ["Ready"]
    assert world.problems() == [], "a create-only flow never even tries to change a sent text"


@pytest.mark.rule("CB-12")
def test_texts_are_off_unless_the_store_chooses_clientbook(world: World):
    key = customer(world)
    world.edge.notify_text(key, "Ready", "Repair ready")
    world.settle()
    assert world.cb.sms == {}


@pytest.mark.rule("CB-12", "CB-1")
def test_a_text_goes_out_even_to_a_customer_not_selected_for_sync(make_world):
    world = make_world(
        {
            **SMS_ON,
            "flows": {
                **SMS_ON["flows"],
                "customer": {"pos_filter": [{"field": "sync_flag", "eq": True}]},
            },
        }
    )
    key = world.edge.add_customer("Not", "Selected", phones=[("Cell", "3125550100")], xfer=False)
    world.edge.notify_text(key, "Your watch is ready", "Repair ready")
    world.edge.add_customer("Also", "Texted", phones=[("Cell", "3125550101")])
    world.settle()
    assert [c["first_name"] for c in world.cb.clients.live()] == ["Also"]
    assert [s["to"] for s in world.cb.sms.values()] == ["+13125550100"]


@pytest.mark.rule("CB-12")
def test_email_notifications_are_not_texts(make_world):
    world = make_world(SMS_ON)
    key = customer(world)
    note = world.edge.notify_text(key, "Receipt attached", "Receipt")
    world.edge.tables["NotificationList"].edit(note, {"NotificationType": "Email"})
    world.settle()
    assert world.cb.sms == {}
