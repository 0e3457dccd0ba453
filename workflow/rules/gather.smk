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
        cell_files=trained_cell_files,
        code=code_version("helios.trained_index"),
    script:
        "../scripts/trained_index.py"


rule pack:
    input:
        f"{OUT}/trained/index.json",
    output:
        f"{OUT}/trained/cells.pack.bin",
    log:
        "logs/gather/pack.log",
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        dtype=config["pack"]["dtype"],
        code=code_version("helios.trained_index", "helios.pack"),
    script:
        "../scripts/pack.py"


rule report:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{UNIVERSE}/index.json",
    output:
        convergence=report(f"{OUT}/report/convergence.png", caption="../report/convergence.rst", category="Training"),
        gallery=report(f"{OUT}/report/gallery.png", caption="../report/gallery.rst", category="Training"),
        metrics=f"{OUT}/report/training_metrics.json",
        html=f"{OUT}/report/report.html",
    log:
        "logs/gather/report.log",
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        code=code_version("helios.report"),
    script:
        "../scripts/report.py"


rule validate:
    input:
        index=f"{OUT}/trained/index.json",
        pack=f"{OUT}/trained/cells.pack.bin",
        report=f"{OUT}/report/training_metrics.json",
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
        code=code_version("helios.validate"),
    script:
        "../scripts/validate.py"
