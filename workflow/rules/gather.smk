rule trained_index:
    input:
        universe=f"{UNIVERSE}/index.json",
        selection=f"{OUT}/selection.json",
        trained=trained_outputs,
    output:
        f"{OUT}/trained/index.json",
    log:
        "logs/gather/trained_index.log",
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


rule pack:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
    output:
        f"{OUT}/trained/cells.pack.bin",
    log:
        "logs/gather/pack.log",
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        dtype=config["pack"]["dtype"],
        code=code_version("helios.pack.assembly", PRODUCT_MODULE),
    script:
        "../scripts/pack.py"


rule validate:
    input:
        index=f"{OUT}/trained/index.json",
        pack=f"{OUT}/trained/cells.pack.bin",
    output:
        f"{OUT}/validation.json",
    log:
        "logs/gather/validate.log",
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


rule report:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
        validation=f"{OUT}/validation.json",
    output:
        convergence=report(f"{OUT}/report/convergence.png", caption="../report/convergence.rst", category="Training"),
        gallery=report(f"{OUT}/report/gallery.png", caption="../report/gallery.rst", category="Training"),
        sky=report(f"{OUT}/report/sky.png", caption="../report/sky.rst", category="Universe"),
        metrics=f"{OUT}/report/training_metrics.json",
        html=f"{OUT}/report/report.html",
    log:
        "logs/gather/report.log",
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        code=code_version("helios.report", "helios.lod.report", "helios.seed.report", PRODUCT_MODULE),
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
    localrule: True
    conda:
        "../envs/helios.yaml"
    script:
        "../scripts/check_validation.py"


rule site:
    input:
        pack=f"{OUT}/trained/cells.pack.bin",
        universe=f"{UNIVERSE}/index.json",
        client=site_client_files,
        landmarks=landmarks_input,
    output:
        directory(f"{OUT}/site"),
    log:
        "logs/gather/site.log",
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        landmarks=config["select"]["landmarks"],
        code=code_version("helios.site"),
    script:
        "../scripts/site.py"
