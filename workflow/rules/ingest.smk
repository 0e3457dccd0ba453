rule ingest_part:
    input:
        part_input,
    output:
        part=f"{OUT}/ingest/parts/{{part}}.arrow",
        tally=f"{OUT}/ingest/parts/{{part}}.json",
    log:
        "logs/ingest/{part}.log",
    params:
        source=lambda wildcards: SOURCES[wildcards.part],
        options=INGEST_OPTIONS,
        code=code_version("helios.ingest"),
    wildcard_constraints:
        part="|".join(SOURCES),
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/ingest_part.py"
