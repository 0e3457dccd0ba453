checkpoint partition:
    input:
        parts=expand(f"{OUT}/ingest/parts/{{part}}.arrow", part=SOURCES),
        tallies=expand(f"{OUT}/ingest/parts/{{part}}.json", part=SOURCES),
    output:
        stars=f"{OUT}/stars.parquet",
        summary=f"{OUT}/ingest_summary.json",
        cells=directory(f"{OUT}/universe/cells"),
        index=f"{OUT}/universe/index.json",
    log:
        "logs/partition.log",
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        grid=canonical(config["grid"]),
        limit=CATALOG["limit"],
        code=code_version("helios.partition"),
    script:
        "../scripts/partition.py"
