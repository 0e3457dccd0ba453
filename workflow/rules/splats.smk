# The seed trainer's product (train.ground_truth: starfield or splats): one job per cell (with densification),
# or per batch of cells trained together (train_jobs.batch_cells > 1), writes each cell's PLY and metrics
# under trained/splats/JOB/.
rule build_cuda_extensions:
    output:
        f"{OUT}/trained/cuda_extensions.json",
    log:
        "logs/train/build_cuda_extensions.log",
    benchmark:
        f"{OUT}/benchmarks/train/build_cuda_extensions.tsv"
    conda:
        "../envs/helios.yaml"
    resources:
        gpu=1 if USE_GPU else 0,
        runtime=30,
    params:
        use_gpu=USE_GPU,
        ssim=TRAIN["ssim"],
        # A new kernel source is built here, before the fan-out, not by every job at once.
        code=code_version("helios.seed.accel.build_extensions", "helios.seed.accel.gsplat_direct", "helios.seed.accel.fused_ssim"),
    script:
        "../scripts/build_cuda_extensions.py"


rule train_splats:
    input:
        cells=job_cells,
        cuda_extensions=f"{OUT}/trained/cuda_extensions.json",
    output:
        directory(f"{OUT}/trained/splats/{{batch}}"),
    log:
        "logs/train/{batch}.log",
    benchmark:
        f"{OUT}/benchmarks/train/{{batch}}.tsv"
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
        options=canonical(TRAIN),
        grid=canonical(config["grid"]),
        cells=lambda wildcards: batch_plan(wildcards)[wildcards.batch],
        suffixes=list(PRODUCT.suffixes),
        code=code_version("helios.seed.training", "helios.cell", "helios.seed.accel.gpu_slots"),
    script:
        "../scripts/train_splats.py"
