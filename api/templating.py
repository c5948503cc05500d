"""Jinja2 templates with autoescaping on (untrusted text never becomes HTML unescaped) and UI translations.

Every template can call ``_("...")``, ``ngettext`` and use ``{% trans %}``. The language comes from the
template's own context: ``ui_locale`` if present, else ``locale``, else English. The callables take the
context (``jinja2.pass_context``), so no globals or context variables are needed per request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from babel.dates import format_date
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from core.i18n import DEFAULT_UI_LOCALE, translations_for
from support import hours

STATIC_DIR = Path(__file__).resolve().parent / "static"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def context_locale(context: Context) -> str:
    """The UI language of a template context."""
    return str(context.get("ui_locale") or context.get("locale") or DEFAULT_UI_LOCALE)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations_for(context_locale(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations_for(context_locale(context)).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    return str(translations_for(context_locale(context)).pgettext(msgctxt, message))


@pass_context
def _npgettext(context: Context, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return str(translations_for(context_locale(context)).npgettext(msgctxt, singular, plural, n))


@pass_context
def _format_date(context: Context, value: date | datetime | None, format: str = "long") -> str:
    """A date in the context's language, e.g. ``3. März 2025``."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return format_date(day, format=format, locale=context_locale(context))


@pass_context
def _business_hours(context: Context) -> str:
    """The configured business hours in the page's language (``support.hours``): stated from the setting,
    they cannot drift from when people really answer, as hand-written hours in content did."""
    request = context.get("request")
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
    return hours.stated(settings, context_locale(context)) if settings is not None else ""


templates.env.add_extension("jinja2.ext.i18n")
# Whitespace inside {% trans %} is collapsed at run time and by the extractor (babel.cfg: trimmed).
templates.env.policies["ext.i18n.trimmed"] = True
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
)


def _moment(value: datetime | None, seconds: bool = False) -> Markup | str:
    """A moment as ``<time datetime="ISO-UTC">YYYY-MM-DD HH:MM UTC</time>``: api/static/admin.js shows it in
    the reader's time zone and the page's language; the UTC text is what a browser without scripts shows."""
    if value is None:
        return ""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    shown = utc.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    extra = Markup(" data-seconds") if seconds else ""
    return Markup('<time datetime="{}"{}>{} UTC</time>').format(utc.isoformat(), extra, shown)


@pass_context
def _translated(context: Context, message: str) -> str:
    """A message marked with ``N_`` where it is defined (e.g. the dashboard's definitions), in the context's
    language; unlike ``_()`` it is not a format string, so a literal "%" in it is safe."""
    return translations_for(context_locale(context)).gettext(message)


templates.env.filters["format_date"] = _format_date
templates.env.globals["business_hours"] = _business_hours
templates.env.filters["translated"] = _translated
templates.env.filters["moment"] = _moment
