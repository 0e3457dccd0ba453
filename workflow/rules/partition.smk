# The partition, in stages shaped like hats-import's (helios/partition/__init__.py): count (a job per part),
# plan (the leaves and shards), split (a job per part), reduce (a job per shard), gather (the index).
# Every job holds at most one part, one shard or the counts.
rule partition_limit:
    input:
        parts=expand(f"{OUT}/ingest/parts/{{part}}.arrow", part=PARTS),
    output:
        f"{OUT}/partition/limit.json",
    log:
        "logs/partition/limit.log",
    benchmark:
        f"{OUT}/benchmarks/partition/limit.tsv"
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        limit=CATALOG["limit"],
        code=code_version("helios.partition.limit"),
    script:
        "../scripts/partition_limit.py"


rule partition_count:
    input:
        part=f"{OUT}/ingest/parts/{{part}}.arrow",
        limit=LIMIT_FILE,
    output:
        f"{OUT}/partition/counts/{{part}}.arrow",
    log:
        "logs/partition/count/{part}.log",
    benchmark:
        f"{OUT}/benchmarks/partition/count/{{part}}.tsv"
    wildcard_constraints:
        part="|".join(SOURCES),
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        # the grid's geometry and depth (the fine keys), not max_stars: a new bound only replans
        grid=canonical({key: value for key, value in config["grid"].items() if key != "max_stars"}),
        file_index=lambda wildcards: PARTS.index(wildcards.part),
        code=code_version("helios.partition.counts"),
    script:
        "../scripts/partition_count.py"


checkpoint partition_plan:
    input:
        counts=expand(f"{OUT}/partition/counts/{{part}}.arrow", part=PARTS),
        tallies=expand(f"{OUT}/ingest/parts/{{part}}.json", part=PARTS),
    output:
        f"{OUT}/partition/plan.json",
    log:
        "logs/partition/plan.log",
    benchmark:
        f"{OUT}/benchmarks/partition/plan.tsv"
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        grid=canonical(config["grid"]),
        shard_rows=PARTITION["shard_rows"],
        code=code_version("helios.partition.plan"),
    script:
        "../scripts/partition_plan.py"


rule partition_split:
    input:
        part=f"{OUT}/ingest/parts/{{part}}.arrow",
        tally=f"{OUT}/ingest/parts/{{part}}.json",
        plan=f"{OUT}/partition/plan.json",
        limit=LIMIT_FILE,
    output:
        directory(f"{OUT}/partition/split/{{part}}"),
    log:
        "logs/partition/split/{part}.log",
    benchmark:
        f"{OUT}/benchmarks/partition/split/{{part}}.tsv"
    wildcard_constraints:
        part="|".join(SOURCES),
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=1500,
        runtime=60,
    params:
        file_index=lambda wildcards: PARTS.index(wildcards.part),
        code=code_version("helios.partition.split"),
    script:
        "../scripts/partition_split.py"


rule partition_reduce:
    input:
        plan=f"{OUT}/partition/plan.json",
        splits=expand(f"{OUT}/partition/split/{{part}}", part=PARTS),
        tallies=expand(f"{OUT}/ingest/parts/{{part}}.json", part=PARTS),
    output:
        cells=directory(f"{OUT}/universe/cells/{{shard}}"),
        entries=f"{OUT}/partition/shards/{{shard}}.json",
    log:
        "logs/partition/reduce/{shard}.log",
    benchmark:
        f"{OUT}/benchmarks/partition/reduce/{{shard}}.tsv"
    wildcard_constraints:
        shard=r"shard-\d+",
    conda:
        "../envs/helios.yaml"
    resources:
        # a shard's rows are sorted in memory: about 1.2 kB a row at the peak, measured (BENCHMARKS.md)
        mem_mb=500 + PARTITION["shard_rows"] * 12 // 10000,
        runtime=60,
    params:
        code=code_version("helios.partition.reduce"),
    script:
        "../scripts/partition_reduce.py"


rule partition_index:
    input:
        plan=f"{OUT}/partition/plan.json",
        entries=lambda wildcards: expand(f"{OUT}/partition/shards/{{shard}}.json", shard=plan_shards(wildcards)),
        tallies=expand(f"{OUT}/ingest/parts/{{part}}.json", part=PARTS),
        splits=expand(f"{OUT}/partition/split/{{part}}", part=PARTS),
    output:
        index=f"{OUT}/universe/index.json",
        summary=f"{OUT}/ingest_summary.json",
    log:
        "logs/partition/index.log",
    benchmark:
        f"{OUT}/benchmarks/partition/index.tsv"
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        limit=CATALOG["limit"],
        code=code_version("helios.partition.index"),
    script:
        "../scripts/partition_index.py"
