"""What the bot says around its answers, per locale (answers themselves come from the training data)."""

from __future__ import annotations

REPLIES: dict[str, dict[str, str]] = {
    "en": {
        "clarify": "Did you mean one of these?",
        "confirm": "Is this what you are asking about?",
        "suggest": "I'm not sure I understood. These articles might help, or try asking in other words. "
        "You can also talk to a person.",
        "suggest_empty": "I'm not sure I understood. Could you rephrase that, or would you like to talk to a person?",
        "unanswered": "I can't answer that here yet. These articles might help, or you can talk to a person.",
        "unanswered_empty": "I can't answer that here yet. Would you like to talk to a person?",
        "handoff": "Let me connect you with a person. Please leave your email address so we can reply.",
        "handoff_failures": "Sorry, I keep missing what you mean. Let me connect you with a person: "
        "please leave your email address so we can reply.",
        "read_more": "Read more",
        "to_team": "Thanks, your message has been passed on to our team.",
    },
    "de": {
        "clarify": "Meinten Sie eines davon?",
        "confirm": "Meinten Sie das?",
        "suggest": "Ich bin nicht sicher, ob ich Sie verstanden habe. Diese Artikel könnten helfen, "
        "oder formulieren Sie Ihre Frage anders. Sie können auch mit einem Menschen sprechen.",
        "suggest_empty": "Ich bin nicht sicher, ob ich Sie verstanden habe. Können Sie es anders formulieren, "
        "oder möchten Sie mit einem Menschen sprechen?",
        "unanswered": "Darauf kann ich hier noch nicht antworten. Diese Artikel könnten helfen, "
        "oder Sie sprechen mit einem Menschen.",
        "unanswered_empty": "Darauf kann ich hier noch nicht antworten. Möchten Sie mit einem Menschen sprechen?",
        "handoff": "Ich verbinde Sie mit einem Menschen. Bitte hinterlassen Sie Ihre E-Mail-Adresse, "
        "damit wir antworten können.",
        "handoff_failures": "Entschuldigung, ich verstehe Sie leider nicht. Ich verbinde Sie mit einem Menschen: "
        "Bitte hinterlassen Sie Ihre E-Mail-Adresse, damit wir antworten können.",
        "read_more": "Weiterlesen",
        "to_team": "Danke, Ihre Nachricht wurde an unser Team weitergegeben.",
    },
    "nl": {
        "clarify": "Bedoel je een van deze?",
        "confirm": "Bedoel je dit?",
        "suggest": "Ik weet niet zeker of ik je begrijp. Deze artikelen kunnen helpen, of stel je vraag anders. "
        "Je kunt ook met een medewerker praten.",
        "suggest_empty": "Ik weet niet zeker of ik je begrijp. Kun je het anders zeggen, of wil je met een "
        "medewerker praten?",
        "unanswered": "Daar kan ik hier nog geen antwoord op geven. Deze artikelen kunnen helpen, of je praat "
        "met een medewerker.",
        "unanswered_empty": "Daar kan ik hier nog geen antwoord op geven. Wil je met een medewerker praten?",
        "handoff": "Ik breng je in contact met een medewerker. Laat je e-mailadres achter, dan kunnen we "
        "je antwoorden.",
        "handoff_failures": "Sorry, ik begrijp je steeds niet. Ik breng je in contact met een medewerker: laat je "
        "e-mailadres achter, dan kunnen we je antwoorden.",
        "read_more": "Lees meer",
        "to_team": "Bedankt, je bericht is doorgegeven aan ons team.",
    },
}


def reply(locale: str, key: str) -> str:
    """The text for ``key`` in the locale, English when the locale has none."""
    return REPLIES.get(locale, REPLIES["en"]).get(key) or REPLIES["en"][key]
