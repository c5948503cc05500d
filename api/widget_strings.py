"""The widget's UI strings, drawn from the one catalogue (``core/locales``, context "widget").

The widget (``widget/src/00-state.js``) looks each up by its key; ``api/routes/widget_pages.py`` serves
the script with every catalogued locale's strings filled in, so the widget keeps no copy of its own.
``{n}`` is replaced in the browser.
"""

from __future__ import annotations

from core.i18n import catalog_locales, translations_for


def widget_strings(locale: str) -> dict[str, str]:
    """The widget's strings in one locale, by key (English for a locale without a catalogue)."""
    t = translations_for(locale)
    strings = {
        "title": t.pgettext("widget", "Help"),
        "launcher": t.pgettext("widget", "Chat with us"),
        "close": t.pgettext("widget", "Close chat"),
        "end": t.pgettext("widget", "End chat"),
        "log": t.pgettext("widget", "Conversation"),
        "inputLabel": t.pgettext("widget", "Your question"),
        "placeholder": t.pgettext("widget", "Type your question…"),
        "send": t.pgettext("widget", "Send"),
        "greeting": t.pgettext("widget", "Hi! How can we help you today?"),
        "you": t.pgettext("widget", "You"),
        "bot": t.pgettext("widget", "Assistant"),
        "agent": t.pgettext("widget", "Support team"),
        "system": t.pgettext("widget", "Notice"),
        "typing": t.pgettext("widget", "The assistant is typing…"),
        "didHelp": t.pgettext("widget", "Did this help?"),
        "yes": t.pgettext("widget", "Yes, this helped"),
        "no": t.pgettext("widget", "No, this did not help"),
        "thanksFeedback": t.pgettext("widget", "Thanks for your feedback!"),
        "sorryFeedback": t.pgettext("widget", "Sorry about that. Try asking in other words, or talk to a person."),
        "options": t.pgettext("widget", "Did you mean:"),
        "articles": t.pgettext("widget", "These articles may help:"),
        "newTab": t.pgettext("widget", "(opens in a new tab)"),
        "talk": t.pgettext("widget", "Talk to a person"),
        "handoffTitle": t.pgettext("widget", "Talk to a person"),
        "handoffIntro": t.pgettext("widget", "Leave your email address and a colleague will reply here or by email."),
        "email": t.pgettext("widget", "Email (required)"),
        "name": t.pgettext("widget", "Name (optional)"),
        "message": t.pgettext("widget", "Message (optional)"),
        "submitHandoff": t.pgettext("widget", "Send to the team"),
        "back": t.pgettext("widget", "Back to the chat"),
        "handoffSent": t.pgettext("widget", "Sent to our team"),
        "rephrase": t.pgettext("widget", "You can also ask again in other words."),
        "unread": t.pgettext("widget", "New messages: {n}"),
        "helpView": t.pgettext("widget", "Help articles"),
        "searchLabel": t.pgettext("widget", "Search the help center"),
        "search": t.pgettext("widget", "Search"),
        "results": t.pgettext("widget", "Search results"),
        "noResults": t.pgettext("widget", "No articles found. Try other words, or ask us in the chat."),
        "popular": t.pgettext("widget", "Popular articles"),
        "emailMissing": t.pgettext("widget", "Please enter your email address."),
        "emailInvalid": t.pgettext("widget", "Please enter a valid email address, like name@example.com."),
        "handoffDone": t.pgettext(
            "widget", "Thanks! A colleague will reply here. We will also email you if you have left."
        ),
        "handoffLater": t.pgettext(
            "widget", "Thanks! Our team is away right now; we will reply by email as soon as we are back."
        ),
        "ratingTitle": t.pgettext("widget", "How was your experience?"),
        "ratingScore": t.pgettext("widget", "{n} of 5"),
        "ratingComment": t.pgettext("widget", "Comment (optional)"),
        "ratingSubmit": t.pgettext("widget", "Send rating"),
        "ratingSkip": t.pgettext("widget", "No thanks"),
        "ratingMissing": t.pgettext("widget", "Please choose a rating from 1 to 5."),
        "ratingThanks": t.pgettext("widget", "Thank you for your rating!"),
        "ended": t.pgettext("widget", "Chat ended. Ask a new question any time."),
        "slowDown": t.pgettext(
            "widget", "You are sending messages too quickly. Please wait {n} seconds and try again."
        ),
        "offline": t.pgettext("widget", "We could not reach the help desk. Please check your connection."),
        "unavailable": t.pgettext("widget", "The assistant is not available right now. Please try again in a moment."),
        "failed": t.pgettext("widget", "Sorry, something went wrong."),
        "retry": t.pgettext("widget", "Try again"),
    }
    return {key: str(text) for key, text in strings.items()}  # Babel types pgettext's result loosely


def all_widget_strings() -> dict[str, dict[str, str]]:
    """The widget's strings of every locale with a catalogue (English first)."""
    return {locale: widget_strings(locale) for locale in catalog_locales()}


def packed_widget_strings() -> dict[str, list[str]]:
    """``all_widget_strings`` as the script embeds them: ``keys`` once, then each locale's texts in that
    order (the keys written three times were a twentieth of the script)."""
    every = all_widget_strings()
    keys = list(every["en"])
    return {"keys": keys, **{locale: [strings[key] for key in keys] for locale, strings in every.items()}}
