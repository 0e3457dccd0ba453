rule ingest_part:
    input:
        part_input,
    output:
        part=f"{OUT}/ingest/parts/{{part}}.arrow",
        tally=f"{OUT}/ingest/parts/{{part}}.json",
    log:
        "logs/ingest/{part}.log",
    benchmark:
        f"{OUT}/benchmarks/ingest/{{part}}.tsv"
    wildcard_constraints:
        part="|".join(SOURCES),
    conda:
        "../envs/helios.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        source=lambda wildcards: canonical(SOURCES[wildcards.part]),
        options=canonical(INGEST_OPTIONS),
        code=code_version("helios.ingest"),
    script:
        "../scripts/ingest_part.py"
