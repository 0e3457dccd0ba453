"""Snakemake adapter: fail the run when validation.json says a check failed; else write the validation.ok marker."""

import json
import sys

from helios.files import write_json
from helios.jobs import configure_logging
from helios.validate import text_summary


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    result = json.loads(open(smk.input.validation, encoding="utf-8").read())
    summary = text_summary(result)
    logger.info("\n%s", summary)
    if not result["ok"]:
        failed = ", ".join(item["name"] for item in result["checks"] if not item["ok"])
        message = f"validation failed ({failed}); see {smk.input.validation} and {smk.input.report}"
        logger.error("%s", message)
        print(message, file=sys.stderr)
        sys.exit(1)
    write_json(smk.output[0], {"ok": True, "validation": smk.input.validation})


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
