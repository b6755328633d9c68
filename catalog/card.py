"""Data cards: the README.md of a published version, for its users and its auditors."""
from __future__ import annotations

from validation.report import Report


def render_card(*, title: str, summary: str, context: dict, report: Report, data_section: str,
                figures: list[tuple[str, str]], limitations: list[str], conditions: str = "") -> str:
    """Markdown card: what it is, how it was made, how good it is, what it must not be used for.

    `conditions`, when given, is a section on what the data was conditioned on (e.g. a regime)."""
    made = [
        f"- **domain / dataset**: `{context['dataset']}`",
        f"- **source**: `{context['source']}` (fingerprint `{context['source_fingerprint'][:16]}…`)",
        f"- **split**: {context['split']}",
        f"- **generator**: `{context['generator']}` with parameters `{context['generator_params']}`",
        f"- **profile / seed**: `{context['profile']}` / `{context['seed']}`",
        *([f"- **regime**: `{context['regime']}`"] if context.get("regime") else []),
        f"- **code version**: `{context['code_version']}`; Prefect flow run `{context.get('flow_run_id') or '—'}`",
    ]
    privacy = [m for m in report.metrics if m.group == "privacy"]
    attacks = "\n".join(f"- `{m.name}` = {m.value:.4f} (must be {m.direction} {m.threshold}): "
                        f"{'pass' if m.passed else 'FAIL'} — {m.description}" for m in privacy)
    pictures = "\n".join(f"![{caption}]({path})\n\n*{caption}*\n" for path, caption in figures)
    limits = "\n".join(f"- {item}" for item in limitations)
    return f"""# {title}

{summary}

## Files
{data_section}

## How it was made
{chr(10).join(made)}

## How good it is
Gate verdict: **{report.verdict}**. Each metric is shown beside its real-vs-real baseline (real
train against real holdout) where one exists.

{report.to_markdown()}
{conditions}
## Privacy record
{attacks}

To re-run every attack and compare with these figures and files: `synthpipe audit {context['dataset']}@<this version>`.

## Pictures
{pictures}
## What it must not be used for
{limits}
"""
