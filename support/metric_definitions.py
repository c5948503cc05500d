"""What the dashboard shows: one row per figure and per table, in the dashboard's order, with the
section, label, unit and the written definition shown under it (and in the CSV and the admin API).

``support.metrics`` computes the values and fills them into ``Figure`` and ``Table``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.i18n import N_

TOP = 20  # written out in the tables' definitions below, so the catalogue holds whole sentences

Unit = Literal["count", "rate", "minutes", "ratio"]
Cell = str | int | float | None


@dataclass(frozen=True)
class FigureDefinition:
    """A figure's id, dashboard section, label, unit and the definition shown under it."""

    key: str
    section: str
    label: str
    unit: Unit
    definition: str


@dataclass(frozen=True)
class TableDefinition:
    """A ranked table's id, label, definition and column names."""

    key: str
    label: str
    definition: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """One number with its name, unit and written definition."""

    key: str
    section: str
    label: str
    value: int | float | None
    unit: Unit
    definition: str


@dataclass(frozen=True)
class Table:
    """A ranked list (top intents, search misses, ...) with its definition."""

    key: str
    label: str
    definition: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


FIGURES: tuple[FigureDefinition, ...] = (
    FigureDefinition(
        key="conversations",
        section=N_("Conversations"),
        label=N_("Conversations"),
        unit="count",
        definition=N_(
            "Conversations whose first visitor message falls in the range (local days); opening the "
            "widget without writing does not start one."
        ),
    ),
    FigureDefinition(
        key="open_conversations",
        section=N_("Conversations"),
        label=N_("Still open"),
        unit="count",
        definition=N_("Of these, conversations not closed yet (no outcome): they count in no rate until they close."),
    ),
    FigureDefinition(
        key="with_question",
        section=N_("Conversations"),
        label=N_("With a question"),
        unit="count",
        definition=N_(
            "Closed conversations with at least one real question: outcome resolved (confirmed or "
            "assumed), handed off or unresolved. The base of the rates below."
        ),
    ),
    FigureDefinition(
        key="no_question",
        section=N_("Conversations"),
        label=N_("No question"),
        unit="count",
        definition=N_("Closed conversations of greetings or thanks only; left out of every rate."),
    ),
    FigureDefinition(
        key="automated_resolution_rate",
        section=N_("Conversations"),
        label=N_("Automated resolution rate"),
        unit="rate",
        definition=N_(
            "Resolved by the bot (confirmed + assumed) / conversations with a question. Resolved: the bot"
            " answered, no answer was voted unhelpful unless a later one was voted helpful, the bot's last"
            " turn did not offer a person, articles or options instead of an answer, and no handoff."
        ),
    ),
    FigureDefinition(
        key="confirmed_share",
        section=N_("Conversations"),
        label=N_("Confirmed share"),
        unit="rate",
        definition=N_(
            "Of the conversations the bot resolved, the share where the visitor said an answer helped "
            "(resolved_confirmed / resolved)."
        ),
    ),
    FigureDefinition(
        key="resolved_confirmed",
        section=N_("Conversations"),
        label=N_("Resolved, confirmed"),
        unit="count",
        definition=N_(
            "The visitor marked a bot answer as helpful, and no later answer unhelpful; the bot's last turn "
            "was an answer; no handoff."
        ),
    ),
    FigureDefinition(
        key="resolved_assumed",
        section=N_("Conversations"),
        label=N_("Resolved, assumed"),
        unit="count",
        definition=N_(
            "The bot answered, nobody voted any answer unhelpful (or helpful), the bot's last turn was an "
            "answer (not a person, articles or options offered), no handoff."
        ),
    ),
    FigureDefinition(
        key="handoff_rate",
        section=N_("Conversations"),
        label=N_("Handoff rate"),
        unit="rate",
        definition=N_("Handed off to a person / conversations with a question."),
    ),
    FigureDefinition(
        key="handed_off",
        section=N_("Conversations"),
        label=N_("Handed off"),
        unit="count",
        definition=N_("Closed conversations with a handoff to a person (whatever the bot answered before)."),
    ),
    FigureDefinition(
        key="unresolved",
        section=N_("Conversations"),
        label=N_("Unresolved"),
        unit="count",
        definition=N_(
            "A question, no handoff, and any of: no bot answer; an answer voted unhelpful with no later one "
            "voted helpful; the bot's last turn offered a person, articles or options instead of an answer."
        ),
    ),
    FigureDefinition(
        key="unresolved_rate",
        section=N_("Conversations"),
        label=N_("Unresolved rate"),
        unit="rate",
        definition=N_("Unresolved / conversations with a question."),
    ),
    FigureDefinition(
        key="helpcenter_sessions",
        section=N_("Handoffs"),
        label=N_("Help-center sessions"),
        unit="count",
        definition=N_(
            "Visits to the public help center that started in the range: one browser counts once until it"
            " is idle for 30 minutes."
        ),
    ),
    FigureDefinition(
        key="handoffs",
        section=N_("Handoffs"),
        label=N_("Handoffs"),
        unit="count",
        definition=N_("Handoff tickets of conversations that started in the range."),
    ),
    FigureDefinition(
        key="self_service_score",
        section=N_("Handoffs"),
        label=N_("Self-service score"),
        unit="ratio",
        definition=N_(
            "Help-center sessions / handoffs: how many visits people helped themselves with for every "
            "time they needed a person (Zendesk's ratio; higher is better)."
        ),
    ),
    FigureDefinition(
        key="first_response_median",
        section=N_("Handoffs"),
        label=N_("First response time, median"),
        unit="minutes",
        definition=N_(
            "Minutes from the handoff to the first agent reply, median over handoffs with a reply (linear"
            " interpolation between closest ranks)."
        ),
    ),
    FigureDefinition(
        key="first_response_p90",
        section=N_("Handoffs"),
        label=N_("First response time, 90th percentile"),
        unit="minutes",
        definition=N_(
            "Minutes from the handoff to the first agent reply: 90% of replied handoffs were answered "
            "within this (linear interpolation between closest ranks)."
        ),
    ),
    FigureDefinition(
        key="resolution_median",
        section=N_("Handoffs"),
        label=N_("Resolution time, median"),
        unit="minutes",
        definition=N_(
            "Minutes from the handoff to its resolution (the last, when reopened), median over resolved handoffs."
        ),
    ),
    FigureDefinition(
        key="resolution_p90",
        section=N_("Handoffs"),
        label=N_("Resolution time, 90th percentile"),
        unit="minutes",
        definition=N_(
            "Minutes from the handoff to its resolution: 90% of resolved handoffs were resolved within this."
        ),
    ),
    FigureDefinition(
        key="first_response_business_median",
        section=N_("Handoffs"),
        label=N_("First response time in business hours, median"),
        unit="minutes",
        definition=N_(
            "As the first response time, counting only minutes inside the business hours"
            " (FAQDESK_BUSINESS_HOURS): a handoff on Friday evening answered on Monday at 9:05 took 5 minutes."
            " Empty when no business hours are set."
        ),
    ),
    FigureDefinition(
        key="first_response_business_p90",
        section=N_("Handoffs"),
        label=N_("First response time in business hours, 90th percentile"),
        unit="minutes",
        definition=N_("As the first response time's 90th percentile, counting only minutes inside business hours."),
    ),
    FigureDefinition(
        key="resolution_business_median",
        section=N_("Handoffs"),
        label=N_("Resolution time in business hours, median"),
        unit="minutes",
        definition=N_("As the resolution time, counting only minutes inside business hours."),
    ),
    FigureDefinition(
        key="resolution_business_p90",
        section=N_("Handoffs"),
        label=N_("Resolution time in business hours, 90th percentile"),
        unit="minutes",
        definition=N_("As the resolution time's 90th percentile, counting only minutes inside business hours."),
    ),
    FigureDefinition(
        key="handoffs_resolved",
        section=N_("Handoffs"),
        label=N_("Handoffs resolved"),
        unit="count",
        definition=N_("Handoffs of these conversations that an agent has resolved."),
    ),
    FigureDefinition(
        key="one_touch_resolutions",
        section=N_("Handoffs"),
        label=N_("One-touch resolutions"),
        unit="count",
        definition=N_("Resolved handoffs that took exactly one agent reply."),
    ),
    FigureDefinition(
        key="one_touch_rate",
        section=N_("Handoffs"),
        label=N_("One-touch share"),
        unit="rate",
        definition=N_("One-touch resolutions / resolved handoffs."),
    ),
    FigureDefinition(
        key="backlog",
        section=N_("Handoffs"),
        label=N_("Open handoffs now"),
        unit="count",
        definition=N_(
            "Handoffs not yet resolved (open or assigned) at the moment this page was computed, whatever their date."
        ),
    ),
    FigureDefinition(
        key="csat_bot",
        section=N_("Satisfaction"),
        label=N_("CSAT, resolved by the bot"),
        unit="rate",
        definition=N_("Ratings of 4 or 5 / all ratings, for conversations the bot resolved (confirmed or assumed)."),
    ),
    FigureDefinition(
        key="ratings_bot",
        section=N_("Satisfaction"),
        label=N_("Ratings, resolved by the bot"),
        unit="count",
        definition=N_("Ratings given in conversations the bot resolved: the base of the figure above."),
    ),
    FigureDefinition(
        key="csat_agent",
        section=N_("Satisfaction"),
        label=N_("CSAT, handed to an agent"),
        unit="rate",
        definition=N_("Ratings of 4 or 5 / all ratings, for conversations handed off to a person."),
    ),
    FigureDefinition(
        key="ratings_agent",
        section=N_("Satisfaction"),
        label=N_("Ratings, handed to an agent"),
        unit="count",
        definition=N_("Ratings given in handed-off conversations: the base of the figure above."),
    ),
    FigureDefinition(
        key="csat_all",
        section=N_("Satisfaction"),
        label=N_("CSAT, all conversations"),
        unit="rate",
        definition=N_("Ratings of 4 or 5 / all ratings, whatever the outcome (unresolved and still open included)."),
    ),
    FigureDefinition(
        key="search_misses",
        section=N_("Content"),
        label=N_("Searches with no result"),
        unit="count",
        definition=N_("Help-center searches in the range that found no article."),
    ),
)

TABLES: tuple[TableDefinition, ...] = (
    TableDefinition(
        key="resolved_per_agent",
        label=N_("Resolved per agent"),
        definition=N_("Handoffs of these conversations resolved by each agent (who resolved it last)."),
        columns=(N_("agent"), N_("resolved")),
    ),
    TableDefinition(
        key="top_intents",
        label=N_("Top intents"),
        definition=N_(
            "Bot turns per recognised intent (greetings and thanks left out), the 20 most frequent, and the"
            " conversations they were in (the intent's link lists those)."
        ),
        columns=(N_("intent"), N_("bot turns"), N_("conversations")),
    ),
    TableDefinition(
        key="unhelpful_answers",
        label=N_("Answers voted unhelpful"),
        definition=N_("Bot answers the visitor marked as not helpful, per intent (their latest vote)."),
        columns=(N_("intent"), N_("votes")),
    ),
    TableDefinition(
        key="search_misses",
        label=N_("Searches with no result"),
        definition=N_(
            "Help-center searches that found no article, grouped ignoring case and spacing, the 20 most "
            "frequent; email addresses and phone numbers are masked."
        ),
        columns=(N_("query"), N_("searches")),
    ),
    TableDefinition(
        key="article_votes",
        label=N_("Articles' helpful votes"),
        definition=N_(
            "“Was this helpful?” votes on help-center articles in the range: yes, no and the share of yes, "
            "the 20 most voted."
        ),
        columns=(N_("article"), N_("locale"), N_("slug"), N_("helpful"), N_("not helpful"), N_("helpful share")),
    ),
)

DAILY_DEFINITIONS = {
    "conversations": N_("Conversations that started that day (local time)."),
    "automated_resolution_rate": N_(
        "Resolved by the bot (confirmed + assumed) / closed conversations with a question, "
        "for conversations that started that day."
    ),
    "handoff_rate": N_("Handed off / closed conversations with a question, for conversations that started that day."),
    "csat": N_("Ratings of 4 or 5 / all ratings, for conversations that started that day (every outcome)."),
}
