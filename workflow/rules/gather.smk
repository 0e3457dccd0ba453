rule trained_index:
    input:
        universe=f"{UNIVERSE}/index.json",
        selection=f"{OUT}/selection.json",
        trained=trained_outputs,
    output:
        f"{OUT}/trained/index.json",
    log:
        "logs/gather/trained_index.log",
    benchmark:
        f"{OUT}/benchmarks/gather/trained_index.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        config_hash=CONFIG_HASH,
        ground_truth=TRAIN["ground_truth"],
        cell_files=lambda wildcards: canonical(trained_cell_files(wildcards)),
        code=code_version("helios.trained_index", PRODUCT_MODULE),
    script:
        "../scripts/trained_index.py"


# The pack, a file per shard of the universe (one job each, holding one shard) and the index that lists them.
rule pack_shard:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
    output:
        pack=f"{OUT}/trained/pack/{{shard}}.pack.bin",
        entries=f"{OUT}/trained/pack/{{shard}}.json",
    log:
        "logs/pack/{shard}.log",
    benchmark:
        f"{OUT}/benchmarks/pack/{{shard}}.tsv"
    wildcard_constraints:
        shard=r"shard-\d+",
    conda:
        "../envs/helios.yaml"
    resources:
        # a shard's blocks are held until its file is written: about 0.3 kB a star at the peak (BENCHMARKS.md)
        mem_mb=500 + config["partition"]["shard_rows"] * 3 // 10000,
        runtime=60,
    params:
        dtype=config["pack"]["dtype"],
        code=code_version("helios.pack.shards", PRODUCT_MODULE),
    script:
        "../scripts/pack_shard.py"


# The solar system's minor planets, from MPCORB (solar_system.mpcorb; docs/solar-system.md), beside the pack's shards.
rule minor_planets:
    input:
        mpcorb_input,
    output:
        f"{OUT}/trained/pack/minor_planets.bin",
    log:
        "logs/pack/minor_planets.log",
    benchmark:
        f"{OUT}/benchmarks/pack/minor_planets.tsv"
    conda:
        "../envs/helios.yaml"
    resources:
        # the orbits read (84 bytes each) and their designations: about 0.5 kB an orbit at the peak
        mem_mb=1500,
        runtime=30,
    params:
        mpcorb=config["solar_system"]["mpcorb"],
        code=code_version("helios.minor_planets", "helios.mpcorb"),
    script:
        "../scripts/minor_planets.py"


rule pack_index:
    input:
        entries=lambda wildcards: expand(f"{OUT}/trained/pack/{{shard}}.json", shard=universe_shards(wildcards)),
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
        minor_planets=minor_planets_input,
    output:
        f"{OUT}/trained/pack/index.json",
    log:
        "logs/pack/index.log",
    benchmark:
        f"{OUT}/benchmarks/pack/index.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        code=code_version("helios.pack.shards"),
    script:
        "../scripts/pack_index.py"


# Each shard checked by its own job (its cell files, its pack file re-encoded from the sources), then the run.
rule validate_shard:
    input:
        index=f"{OUT}/trained/index.json",
        pack_index=f"{OUT}/trained/pack/index.json",
        pack=f"{OUT}/trained/pack/{{shard}}.pack.bin",
        universe=f"{UNIVERSE}/index.json",
    output:
        f"{OUT}/validation/{{shard}}.json",
    log:
        "logs/validate/{shard}.log",
    benchmark:
        f"{OUT}/benchmarks/validate/{{shard}}.tsv"
    wildcard_constraints:
        shard=r"shard-\d+",
    conda:
        "../envs/helios.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        code=code_version("helios.validate", PRODUCT_MODULE),
    script:
        "../scripts/validate_shard.py"


rule validate:
    input:
        index=f"{OUT}/trained/index.json",
        shards=lambda wildcards: expand(f"{OUT}/validation/{{shard}}.json", shard=universe_shards(wildcards)),
    output:
        f"{OUT}/validation.json",
    log:
        "logs/gather/validate.log",
    benchmark:
        f"{OUT}/benchmarks/gather/validate.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        output_dir=lambda wildcards, output: os.path.dirname(output[0]) or ".",
        universe_dir=UNIVERSE,
        thresholds=canonical(config["validate"]),
        code=code_version("helios.validate", PRODUCT_MODULE),
    script:
        "../scripts/validate.py"


# The report's pictures of the universe: each shard's job draws its own cells (light adds up), the report adds them.
rule report_shard:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
    output:
        f"{OUT}/report/parts/{{shard}}.npz",
    log:
        "logs/report/{shard}.log",
    benchmark:
        f"{OUT}/benchmarks/report/{{shard}}.tsv"
    wildcard_constraints:
        shard=r"shard-\d+",
    conda:
        "../envs/helios.yaml"
    resources:
        # one cell's stars at a time, the images, a trained cell's levels: at most 1.0 GB at 100 M stars (BENCHMARKS.md)
        mem_mb=1500,
        runtime=60,
    params:
        code=code_version("helios.report", "helios.report_parts", "helios.lod.report", "helios.seed.report", PRODUCT_MODULE),
    script:
        "../scripts/report_shard.py"


rule report:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
        validation=f"{OUT}/validation.json",
        parts=lambda wildcards: expand(f"{OUT}/report/parts/{{shard}}.npz", shard=sorted(universe_shards(wildcards))),
    output:
        convergence=report(f"{OUT}/report/convergence.png", caption="../report/convergence.rst", category="Training"),
        gallery=report(f"{OUT}/report/gallery.png", caption="../report/gallery.rst", category="Training"),
        sky=report(f"{OUT}/report/sky.png", caption="../report/sky.rst", category="Universe"),
        sky_as_seen=report(f"{OUT}/report/sky_as_seen.png", caption="../report/sky_as_seen.rst", category="Universe"),
        metrics=f"{OUT}/report/training_metrics.json",
        html=f"{OUT}/report/report.html",
    log:
        "logs/gather/report.log",
    benchmark:
        f"{OUT}/benchmarks/gather/report.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        code=code_version("helios.report", "helios.report_parts", "helios.lod.report", "helios.seed.report", PRODUCT_MODULE),
    script:
        "../scripts/report.py"


# validation.json (and the report showing it) stay when a check fails; this step then fails the run.
rule check_validation:
    input:
        validation=f"{OUT}/validation.json",
        report=f"{OUT}/report/report.html",
    output:
        f"{OUT}/validation.ok",
    log:
        "logs/gather/check_validation.log",
    benchmark:
        f"{OUT}/benchmarks/gather/check_validation.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    script:
        "../scripts/check_validation.py"


rule site:
    input:
        pack=f"{OUT}/trained/pack/index.json",
        universe=f"{UNIVERSE}/index.json",
        client=site_client_files,
        landmarks=landmarks_input,
    output:
        directory(f"{OUT}/site"),
    log:
        "logs/gather/site.log",
    benchmark:
        f"{OUT}/benchmarks/gather/site.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        landmarks=config["select"]["landmarks"],
        code=code_version("helios.site"),
    script:
        "../scripts/site.py"
