# HELIOS: star catalogue -> HLG cells -> selected cells -> trained levels (or splats) -> index, pack, report, validation, site.
# Run: snakemake --cores 2   (config/config.yaml; see README.md)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/partition.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/levels.smk"
include: "workflow/rules/splats.smk"
include: "workflow/rules/gather.smk"


rule all:
    default_target: True
    input:
        final_targets(),
