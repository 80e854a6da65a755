FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:latest /uv /usr/local/bin/uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PATH="/app/.venv/bin:$PATH"
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY delivery ./delivery
COPY routing ./routing
COPY notifications ./notifications
COPY migrations ./migrations
RUN uv sync --frozen --no-dev
RUN useradd --system --uid 10001 tasheel
USER tasheel
EXPOSE 8000
CMD ["tasheel", "serve", "--host", "0.0.0.0", "--port", "8000"]
