# The levels product (train.ground_truth: levels): one job per cell, or per batch of cells of similar size
# (train_jobs.batch_cells > 1), writes each cell's levels table and metrics under trained/levels/JOB/.
rule train_levels:
    input:
        cells=job_cells,
    output:
        directory(f"{OUT}/trained/levels/{{batch}}"),
    log:
        "logs/levels/{batch}.log",
    benchmark:
        f"{OUT}/benchmarks/levels/{{batch}}.tsv"
    wildcard_constraints:
        batch=JOB_NAME,
    conda:
        "../envs/helios.yaml"
    threads: JOBS["threads"]
    resources:
        mem_mb=JOBS["mem_mb"],
        runtime=JOBS["runtime_min"],
        gpu=GPUS_PER_JOB,
    params:
        options=canonical(LEVELS),
        seed=TRAIN["seed"],
        grid=canonical(config["grid"]),
        cells=lambda wildcards: batch_plan(wildcards)[wildcards.batch],
        suffixes=list(PRODUCT.suffixes),
        code=code_version("helios.lod.cell_job"),
    script:
        "../scripts/train_levels.py"
