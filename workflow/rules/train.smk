rule prepare_gsplat:
    output:
        f"{OUT}/trained/gsplat_build.json",
    log:
        "logs/train/prepare_gsplat.log",
    params:
        extensions_dir=TRAIN["extensions_dir"],
        use_gpu=USE_GPU,
        ssim=TRAIN["ssim"],
        # A new kernel source is built here, before the fan-out, not by every job at once.
        code=code_version("helios.render.gsplat_backend", "helios.fused_ssim", "helios.extensions"),
    resources:
        gpu=1 if USE_GPU else 0,
        runtime=30,
    script:
        "../scripts/prepare_gsplat.py"


rule train_cell:
    input:
        cell=f"{OUT}/universe/cells/{{cell}}.parquet",
        gsplat_build=f"{OUT}/trained/gsplat_build.json",
    output:
        ply=f"{OUT}/trained/cells/{{cell}}.ply",
        metrics=f"{OUT}/trained/cells/{{cell}}.json",
    log:
        "logs/train/{cell}.log",
    params:
        options=TRAIN_OPTIONS,
        grid=config["grid"],
        extensions_dir=TRAIN["extensions_dir"],
        slots_per_gpu=TRAIN["slots_per_gpu"],
        lock_dir=f"{OUT}/trained/.gpu-locks",
        code=code_version("helios.train", "helios.cell", "helios.gpu"),
    wildcard_constraints:
        cell=r"\d+_\d+_\d+",
    threads: TRAIN["threads"]
    resources:
        mem_mb=TRAIN["mem_mb"],
        runtime=TRAIN["runtime_min"],
        gpu=GPUS_PER_TRAIN_JOB,
    script:
        "../scripts/train_cell.py"


rule train_batch:
    input:
        cells=lambda wildcards: expand(f"{OUT}/universe/cells/{{cell}}.parquet", cell=batch_plan(wildcards)[wildcards.batch]),
        gsplat_build=f"{OUT}/trained/gsplat_build.json",
    output:
        directory(f"{OUT}/trained/batches/{{batch}}"),
    log:
        "logs/train/batch-{batch}.log",
    params:
        options=TRAIN_OPTIONS,
        grid=config["grid"],
        cells=lambda wildcards: batch_plan(wildcards)[wildcards.batch],
        extensions_dir=TRAIN["extensions_dir"],
        slots_per_gpu=TRAIN["slots_per_gpu"],
        lock_dir=f"{OUT}/trained/.gpu-locks",
        code=code_version("helios.train_batch", "helios.cell", "helios.gpu"),
    wildcard_constraints:
        batch=r"s\d+-\d+",
    threads: TRAIN["threads"]
    resources:
        mem_mb=TRAIN["mem_mb"],
        runtime=TRAIN["runtime_min"],
        gpu=GPUS_PER_TRAIN_JOB,
    script:
        "../scripts/train_batch.py"
