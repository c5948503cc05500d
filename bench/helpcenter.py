"""Help-center benchmark: seed thousands of articles, then time article pages and search (see bench/README.md).

Seeds a fresh database through the product's own code (``migrations.upgrade``, ``content.load_folder`` for the
demo articles, ``articles.create_article`` / ``articles.set_status`` for generated ones, which index them for
search), then sends requests through the real app (``api.app.create_app`` + ``TestClient``) and calls
``search.search`` in-process, so HTTP and template overhead are visible.

    .venv/bin/python bench/helpcenter.py                     # 5,000 articles on a temporary SQLite file
    .venv/bin/python bench/helpcenter.py --quick             # 500 articles, 50 requests (smoke run)
    .venv/bin/python bench/helpcenter.py --database-url postgresql://postgres@127.0.0.1:5432/bench_hc --reset
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the helpcenter package:
# it goes last, where bench/sections.py is still found.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.append(sys.path.pop(0))

import numpy as np
from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from sections import machine, put_section, read_section
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, func, select

from api.app import create_app
from core.db import is_postgres, make_engine, normalize_url
from core.settings import Settings
from core.text import stems
from helpcenter import articles, categories, content, public, related, search, slugs
from helpcenter.markdown import plain_text, render
from helpcenter.models import Article, ArticleStatus, Category

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "training_data" / "articles"
LOCALES = ("en", "de", "nl")
TARGETS = {"article_http": 15.0, "search_http": 30.0}  # p50 ms, from the help-center quality bar
NO_HIT = {
    "en": ["xylophone quartet", "zzyzx", "quasar spectacles"],
    "de": ["Xylophonquartett", "Quasarbrille", "zzyzx"],
    "nl": ["xylofoonkwartet", "quasarbril", "zzyzx"],
}
# Inflected forms that are not (all) in the demo articles but share a stem with words that are.
INFLECTED = {
    "de": ["Rücksendungen", "Bestellungen", "Lieferungen", "Gutscheinen", "Rechnungen", "zurückgeschickt"],
    "nl": ["bestellingen", "retourneert", "pakketten", "leveringen", "betalingen", "facturen"],
}
SECTION_START, SECTION_END = "<!-- bench/helpcenter.py -->", "<!-- /bench/helpcenter.py -->"
_START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _START:7.1f} s] {message}", file=sys.stderr, flush=True)


# ----- content ---------------------------------------------------------------------------------
@dataclass
class Corpus:
    """Words of one locale's demo articles with their counts, and the demo tags."""

    words: list[str]
    cum_weights: list[int]
    counts: Counter[str]
    tags: list[str]


def demo_corpus() -> dict[str, Corpus]:
    yaml = YAML(typ="safe", pure=True)
    corpora = {}
    for locale in LOCALES:
        counts: Counter[str] = Counter()
        tags: set[str] = set()
        for file in sorted((ARTICLES / locale).glob("*.md")):
            _, header, body = file.read_text(encoding="utf-8").split("---", 2)
            tags.update(str(t) for t in (yaml.load(header) or {}).get("tags") or [])
            counts.update(re.findall(r"[^\W\d_]{2,}", plain_text(body)))
        words = sorted(counts)
        cum, total = [], 0
        for word in words:
            total += counts[word]
            cum.append(total)
        corpora[locale] = Corpus(words, cum, counts, sorted(tags))
    return corpora


class Writer:
    """Deterministic Markdown articles from a locale's word frequencies (a few hundred words each)."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.corpus, self.rng = corpus, rng

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.corpus.words, cum_weights=self.corpus.cum_weights, k=n)

    def sentence(self, low: int = 6, high: int = 18) -> str:
        words = self.words(self.rng.randint(low, high))
        if self.rng.random() < 0.15:
            i = self.rng.randrange(len(words))
            words[i] = f"**{words[i]}**"
        line = " ".join(words)
        return line[0].upper() + line[1:] + self.rng.choice(".....?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def title(self) -> str:
        line = " ".join(self.words(self.rng.randint(3, 6)))
        return line[0].upper() + line[1:]

    def body(self) -> str:
        parts = [self.paragraph()]
        for _ in range(self.rng.randint(2, 3)):
            parts.append("## " + self.title())
            parts += [self.paragraph() for _ in range(self.rng.randint(1, 2))]
            if self.rng.random() < 0.5:
                parts.append("\n".join(f"- {self.sentence(4, 10)}" for _ in range(self.rng.randint(3, 5))))
        if self.rng.random() < 0.3:
            parts.append(f"More in [{' '.join(self.words(3))}](https://nordkap.example/help).")
        return "\n\n".join(parts) + "\n"


@dataclass
class Seeded:
    articles: int = 0
    published: int = 0
    seconds: float = 0.0


def seed(engine: Engine, corpora: dict[str, Corpus], total: int, rng: random.Random) -> Seeded:
    """The demo categories and articles, then generated articles in en/de/nl translation triples."""
    started = time.perf_counter()
    with Session(engine) as session:
        demo = content.load_folder(session, folder=ARTICLES)
        session.commit()
        category_ids = [c.id for c in categories.list_categories(session) if c.id is not None]
        writers = {locale: Writer(corpora[locale], rng) for locale in LOCALES}
        made = demo.articles
        n = 0
        while made < total:
            group, category = uuid.UUID(int=rng.getrandbits(128)).hex, rng.choice(category_ids)
            for locale in LOCALES:
                if made >= total:
                    break
                w = writers[locale]
                title = w.title()
                article = articles.create_article(
                    session,
                    locale=locale,
                    slug=f"{slugs.slugify(title)[:150]}-{n}",
                    title=title,
                    body=w.body(),
                    author="bench",
                    category_id=category,
                    tags=rng.sample(corpora[locale].tags, rng.randint(1, 3)),
                    translation_group=group,
                    position=rng.randint(0, 20),
                )
                roll = rng.random()
                if roll < 0.92:
                    articles.set_status(session, article=article, status=ArticleStatus.published)
                elif roll < 0.95:
                    articles.set_status(session, article=article, status=ArticleStatus.archived)
                made += 1
            n += 1
            if n % 100 == 0:
                session.commit()
                log(f"  {made:,} / {total:,} articles")
        session.commit()
        published = session.exec(
            select(func.count()).select_from(Article).where(Article.status == ArticleStatus.published)
        ).one()
    return Seeded(made, published, time.perf_counter() - started)


# ----- requests --------------------------------------------------------------------------------
def queries(corpora: dict[str, Corpus], rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """(kind, locale, query): common words, rarer words, 2–3 word mixes, inflected de/nl forms, no-hit queries."""
    pools: dict[str, dict[str, list[str]]] = {}
    for locale, corpus in corpora.items():
        ranked = [w for w, _ in corpus.counts.most_common() if len(w) >= 5]
        by_stem: dict[str, list[str]] = {}
        for word in ranked:
            by_stem.setdefault(stems([word.lower()], locale)[0], []).append(word)
        # a rarer surface form of a stem that also occurs in other forms: the index has to meet them by stem
        inflected = [forms[-1] for forms in by_stem.values() if len(forms) > 1][:40] + INFLECTED.get(locale, [])
        pools[locale] = {
            "common": ranked[5:120],
            "rare": [w for w in ranked if corpus.counts[w] <= 2][:300],
            "inflected": inflected,
        }
    kinds = [("common", 30), ("common2", 20), ("mixed3", 15), ("rare", 15), ("inflected", 12), ("nohit", 8)]
    out = []
    for _ in range(n):
        (kind,) = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])
        locale = rng.choice(LOCALES)
        if kind == "inflected" and locale == "en":
            locale = rng.choice(("de", "nl"))
        p = pools[locale]
        words = {
            "common": lambda p=p: [rng.choice(p["common"])],
            "common2": lambda p=p: rng.sample(p["common"], 2),
            "mixed3": lambda p=p: [rng.choice(p["common"]), rng.choice(p["rare"]), rng.choice(p["common"])],
            "rare": lambda p=p: [rng.choice(p["rare"])],
            "inflected": lambda p=p: [rng.choice(p["inflected"])],
            "nohit": lambda locale=locale: [rng.choice(NO_HIT[locale])],
        }[kind]()
        out.append((kind, locale, " ".join(words)))
    return out


@dataclass
class Timing:
    label: str
    times_ms: list[float]
    seconds: float
    target_p50: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stats(self) -> dict[str, float]:
        t = np.array(self.times_ms)
        return {
            "n": len(t),
            "p50_ms": float(np.percentile(t, 50)),
            "p90_ms": float(np.percentile(t, 90)),
            "p99_ms": float(np.percentile(t, 99)),
            "mean_ms": float(t.mean()),
            "per_second": len(t) / self.seconds,
        }

    def verdict(self) -> str:
        if self.target_p50 is None:
            return ""
        return "met" if self.stats()["p50_ms"] <= self.target_p50 else "**missed**"


def timed(label: str, calls: list[Callable[[], object]], warmup: int, target: float | None = None) -> Timing:
    for call in calls[:warmup]:
        call()
    times = []
    started = time.perf_counter()
    for call in calls:
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    timing = Timing(label, times, time.perf_counter() - started, target)
    s = timing.stats()
    log(f"  {label}: p50 {s['p50_ms']:.1f} ms, p90 {s['p90_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms {timing.verdict()}")
    return timing


def get_ok(client: TestClient, url: str, params: dict[str, str] | None = None) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url, params=params, follow_redirects=False)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} {params or ''}: HTTP {response.status_code}")
        return response

    return call


def article_read(engine: Engine, locale: str, slug: str) -> Callable[[], object]:
    """What the article route does, minus HTTP and the template: lookup, view count, translations, related."""

    def call() -> object:
        with Session(engine) as session:
            article, _ = public.find_published(session, locale=locale, slug=slug)
            assert article is not None
            public.count_view(session, article=article)
            parts = (
                render(article.body),
                public.translations(session, article=article),
                categories.category_of(session, article=article),
                related.related_articles(session, article=article),
            )
            session.commit()
            return parts

    return call


def measure(engine: Engine, url: str, corpora: dict[str, Corpus], rng: random.Random, n: int) -> list[Timing]:
    with Session(engine) as session:
        slugs = session.exec(
            select(Article.locale, Article.slug)
            .where(Article.status == ArticleStatus.published)
            .order_by(col(Article.id))
        ).all()
    warmup = max(10, n // 10)
    pages = [rng.choice(slugs) for _ in range(n + warmup)]
    mix = queries(corpora, rng, n + warmup)
    found_any: dict[int, bool] = {}  # query index -> had hits (warm-up calls repeat some queries)
    results: list[Timing] = []
    with tempfile.TemporaryDirectory() as data_dir:
        # Every request comes from one address: the per-address search limit would answer 429.
        settings = Settings(database_url=url, data_dir=Path(data_dir), search_rate_limit="1000000/minute")
        app = create_app(settings)
        with TestClient(app) as client:
            log("HTTP")
            results.append(timed("GET /healthz (harness floor)", [get_ok(client, "/healthz")] * (n + warmup), warmup))
            calls = [get_ok(client, f"/hc/{loc}/articles/{slug}") for loc, slug in pages]
            results.append(timed("GET /hc/{locale}/articles/{slug}", calls, warmup, TARGETS["article_http"]))
            calls = [get_ok(client, f"/hc/{loc}/search", {"q": q}) for _, loc, q in mix]
            results.append(timed("GET /hc/{locale}/search?q=", calls, warmup, TARGETS["search_http"]))
            calls = [get_ok(client, "/api/v1/search", {"locale": loc, "q": q}) for _, loc, q in mix]
            results.append(timed("GET /api/v1/search?locale=&q= (limit 10)", calls, warmup))
    log("in-process")
    calls = [article_read(engine, loc, slug) for loc, slug in pages]
    results.append(timed("article read path in-process (service calls + render)", calls, warmup))
    with Session(engine) as session:

        def run(i: int, locale: str, q: str) -> Callable[[], object]:
            def call() -> object:
                found = search.search(session, query=q, locale=locale)
                found_any[i] = bool(found)
                return found

            return call

        results.append(
            timed("search.search in-process (limit 20)", [run(i, loc, q) for i, (_, loc, q) in enumerate(mix)], warmup)
        )
        session.rollback()  # the misses it recorded
    kinds = Counter(kind for kind, _, _ in mix)
    results[-1].extra = {
        "queries_by_kind": dict(kinds),
        "queries_with_hits_by_kind": dict(Counter(kind for i, (kind, _, _) in enumerate(mix) if found_any.get(i))),
        "examples": [f"{loc}: {q}" for _, loc, q in mix[warmup : warmup + 12]],
    }
    return results


# ----- database --------------------------------------------------------------------------------
@contextmanager
def database(url: str | None, reset: bool) -> Iterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench-helpcenter.db"
        return
    parsed = make_url(normalize_url(url))
    if parsed.database == "test":
        sys.exit("refusing the database named 'test': it belongs to the test suite")
    if reset:
        engine = make_engine(url)
        with engine.begin() as conn:
            if is_postgres(engine):
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        if engine.dialect.name == "sqlite" and parsed.database:
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
    yield url


def backend_info(engine: Engine) -> tuple[str, str]:
    if is_postgres(engine):
        with engine.connect() as conn:
            return "postgresql", "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar())
    return engine.dialect.name, f"SQLite {sqlite3.sqlite_version}"


# ----- output ----------------------------------------------------------------------------------
def table(results: list[Timing]) -> list[str]:
    lines = ["| measured | n | p50 | p90 | p99 | req/s | target | |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        s = r.stats()
        target = f"p50 ≤ {r.target_p50:g} ms" if r.target_p50 is not None else ""
        lines.append(
            f"| {r.label} | {s['n']} | {s['p50_ms']:.1f} ms | {s['p90_ms']:.1f} ms | {s['p99_ms']:.1f} ms "
            f"| {s['per_second']:.0f} | {target} | {r.verdict()} |"
        )
    return lines


def block(meta: dict[str, Any], seeded: Seeded | None, results: list[Timing]) -> str:
    m = meta["machine"]
    if seeded:
        seeding = (
            f"Seeded {seeded.articles:,} articles ({seeded.published:,} published) in {seeded.seconds:.1f} s "
            f"({seeded.articles / seeded.seconds:.0f} articles/s, not a target)."
        )
    else:
        seeding = "Reused an already seeded database (`--reuse`)."
    kinds = results[-1].extra
    notes = (
        "Query mix (kind: queries / with hits): "
        + ", ".join(
            f"{k} {v} / {kinds['queries_with_hits_by_kind'].get(k, 0)}" for k, v in kinds["queries_by_kind"].items()
        )
        + ". Examples: "
        + "; ".join(f"`{e}`" for e in kinds["examples"][:6])
        + "."
    )
    return "\n".join(
        [
            f"<!-- helpcenter:{meta['backend']} -->",
            f"## {meta['backend_version']}",
            "",
            f"Produced by `{meta['command']}` on {meta['date']}. Machine: {m['cpu']}, {m['cores']} cores; "
            f"Python {m['python']}; code at `{m['git']}`.",
            "",
            seeding,
            "",
            *table(results),
            "",
            notes + " Load average (1/5/15 min) at the end: {:.1f} / {:.1f} / {:.1f}.".format(*meta["load_average"]),
            f"<!-- /helpcenter:{meta['backend']} -->",
        ]
    )


INTRO = """\
Produced by `bench/helpcenter.py` (see `bench/README.md`); each database backend's block is replaced when the
script runs on it. Target (help-center quality bar): article page p50 ≤ 15 ms, search p50 ≤ 30 ms, with
5,000 articles. The database is seeded with the demo categories and articles plus generated Markdown articles
(en/de/nl translation triples, words drawn by frequency from the demo articles, ~90% published). Requests go
through `create_app` with `TestClient`, one at a time, after a warm-up; random published articles; search
queries of 1–3 words (common, rarer, inflected de/nl forms, no-hit). `/healthz` shows the harness's own cost
per request; the in-process rows show the service calls without HTTP or templates."""


def write_section(out: Path, meta: dict[str, Any], new_block: str, title: str) -> None:
    """Add or update this script's section of the file (one block per database), keeping the rest as is."""
    found = read_section(out, SECTION_START, SECTION_END)
    old = {
        m.group(1): m.group(0) for m in re.finditer(r"(?s)<!-- helpcenter:(\w+) -->.*?<!-- /helpcenter:\1 -->", found)
    }
    old[meta["backend"]] = new_block
    ordered = [old[k] for k in sorted(old, key=lambda k: (k != "sqlite", k))]
    section = "\n\n".join([SECTION_START, f"# {title}", INTRO, *ordered, SECTION_END])
    put_section(out, SECTION_START, SECTION_END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000, help="articles in total, demo ones included")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 articles, 50 requests, no docs")
    parser.add_argument("--database-url", help="default: a temporary SQLite file; never the database 'test'")
    parser.add_argument("--reset", action="store_true", help="empty the given database first (drops its schema)")
    parser.add_argument("--reuse", action="store_true", help="measure an already seeded database, skip seeding")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--out", type=Path, help="Markdown file to update (default docs/benchmarks.md; none with --quick)"
    )
    parser.add_argument("--json", type=Path, help="raw figures (default bench/out/helpcenter-<backend>.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.articles, args.requests = 500, 50
    out = args.out or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    corpora = demo_corpus()
    with database(args.database_url, args.reset) as url:
        upgrade_started = time.perf_counter()
        from migrations import upgrade

        upgrade(url)
        engine = make_engine(url)
        backend, version = backend_info(engine)
        with Session(engine) as session:
            existing = session.exec(select(func.count()).select_from(Article)).one()
            has_categories = session.exec(select(func.count()).select_from(Category)).one()
        seeded: Seeded | None = None
        if existing and not args.reuse:
            sys.exit(f"{backend} database already has {existing} articles: pass --reset (or --reuse to measure it)")
        if not existing or not has_categories:
            log(f"{version}: migrated in {time.perf_counter() - upgrade_started:.1f} s; seeding {args.articles:,}")
            seeded = seed(engine, corpora, args.articles, random.Random(args.seed))
            log(f"seeded {seeded.articles:,} articles in {seeded.seconds:.1f} s")
        if is_postgres(engine):
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        results = measure(engine, url, corpora, random.Random(args.seed + 1), args.requests)
        engine.dispose()
    meta = {
        "command": " ".join([".venv/bin/python bench/helpcenter.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "backend": backend,
        "backend_version": version,
        "load_average": os.getloadavg(),
    }
    lines = [
        f"{version}: " + (f"{seeded.articles:,} articles seeded in {seeded.seconds:.1f} s" if seeded else "reused")
    ]
    print("\n".join([*lines, *table(results)]))
    json_out = args.json or ROOT / "bench" / "out" / f"helpcenter-{backend}.json"
    json_out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        **meta,
        "seeded": asdict(seeded) if seeded else None,
        "results": [{"label": r.label, "target_p50_ms": r.target_p50, **r.stats(), **r.extra} for r in results],
    }
    json_out.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    if out is not None:
        write_section(out, meta, block(meta, seeded, results), f"Help center, {args.articles:,} articles")
        log(f"wrote {out} and {json_out}")
    missed = [r.label for r in results if r.verdict() == "**missed**"]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
