rule build_cuda_extensions:
    output:
        f"{OUT}/trained/cuda_extensions.json",
    log:
        "logs/train/build_cuda_extensions.log",
    conda:
        "../envs/helios.yaml"
    resources:
        gpu=1 if USE_GPU else 0,
        runtime=30,
    params:
        use_gpu=USE_GPU,
        ssim=TRAIN["ssim"],
        # A new kernel source is built here, before the fan-out, not by every job at once.
        code=code_version("helios.seed.accel.cuda_extensions", "helios.seed.accel.gsplat_direct", "helios.seed.accel.fused_ssim"),
    script:
        "../scripts/build_cuda_extensions.py"


rule train_levels:
    input:
        cell=f"{UNIVERSE}/cells/{{cell}}.parquet",
    output:
        table=f"{OUT}/trained/levels/{{cell}}.levels.parquet",
        metrics=f"{OUT}/trained/levels/{{cell}}.levels.json",
    log:
        "logs/levels/{cell}.log",
    wildcard_constraints:
        cell=r"\d+_\d+_\d+",
    conda:
        "../envs/helios.yaml"
    threads: JOBS["threads"]
    resources:
        mem_mb=JOBS["mem_mb"],
        runtime=JOBS["runtime_min"],
        gpu=GPUS_PER_LEVEL_JOB,
    params:
        options=canonical(LEVELS),
        seed=TRAIN["seed"],
        grid=canonical(config["grid"]),
        code=code_version("helios.lod.cell_job"),
    script:
        "../scripts/train_levels.py"


rule train_levels_batch:
    input:
        cells=lambda wildcards: expand(f"{UNIVERSE}/cells/{{cell}}.parquet", cell=batch_plan(wildcards)[wildcards.batch]),
    output:
        directory(f"{OUT}/trained/level_batches/{{batch}}"),
    log:
        "logs/levels/batch-{batch}.log",
    wildcard_constraints:
        batch=r"s\d+-\d+",
    conda:
        "../envs/helios.yaml"
    threads: JOBS["threads"]
    resources:
        mem_mb=JOBS["mem_mb"],
        runtime=JOBS["runtime_min"],
        gpu=GPUS_PER_LEVEL_JOB,
    params:
        options=canonical(LEVELS),
        seed=TRAIN["seed"],
        grid=canonical(config["grid"]),
        cells=lambda wildcards: batch_plan(wildcards)[wildcards.batch],
        code=code_version("helios.lod.cell_job"),
    script:
        "../scripts/train_levels_batch.py"


rule train_cell:
    input:
        cell=f"{UNIVERSE}/cells/{{cell}}.parquet",
        cuda_extensions=f"{OUT}/trained/cuda_extensions.json",
    output:
        ply=f"{OUT}/trained/cells/{{cell}}.ply",
        metrics=f"{OUT}/trained/cells/{{cell}}.json",
    log:
        "logs/train/{cell}.log",
    wildcard_constraints:
        cell=r"\d+_\d+_\d+",
    conda:
        "../envs/helios.yaml"
    threads: JOBS["threads"]
    resources:
        mem_mb=JOBS["mem_mb"],
        runtime=JOBS["runtime_min"],
        gpu=GPUS_PER_TRAIN_JOB,
    params:
        options=canonical(TRAIN),
        grid=canonical(config["grid"]),
        code=code_version("helios.seed.training", "helios.cell", "helios.seed.accel.gpu_slots"),
    script:
        "../scripts/train_cell.py"


rule train_batch:
    input:
        cells=lambda wildcards: expand(f"{UNIVERSE}/cells/{{cell}}.parquet", cell=batch_plan(wildcards)[wildcards.batch]),
        cuda_extensions=f"{OUT}/trained/cuda_extensions.json",
    output:
        directory(f"{OUT}/trained/batches/{{batch}}"),
    log:
        "logs/train/batch-{batch}.log",
    wildcard_constraints:
        batch=r"s\d+-\d+",
    conda:
        "../envs/helios.yaml"
    threads: JOBS["threads"]
    resources:
        mem_mb=JOBS["mem_mb"],
        runtime=JOBS["runtime_min"],
        gpu=GPUS_PER_TRAIN_JOB,
    params:
        options=canonical(TRAIN),
        grid=canonical(config["grid"]),
        cells=lambda wildcards: batch_plan(wildcards)[wildcards.batch],
        code=code_version("helios.seed.training", "helios.cell", "helios.seed.accel.gpu_slots"),
    script:
        "../scripts/train_batch.py"
