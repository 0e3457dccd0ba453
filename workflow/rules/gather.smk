rule trained_index:
    input:
        universe=f"{OUT}/universe/index.json",
        selection=f"{OUT}/selection.json",
        trained=trained_outputs,
    output:
        f"{OUT}/trained/index.json",
    log:
        "logs/gather/trained_index.log",
    params:
        config_hash=CONFIG_HASH,
        cell_files=trained_cell_files,
        code=code_version("helios.gather"),
    localrule: True
    script:
        "../scripts/trained_index.py"


rule pack:
    input:
        f"{OUT}/trained/index.json",
    output:
        f"{OUT}/trained/cells.pack.bin",
    log:
        "logs/gather/pack.log",
    params:
        dtype=config["pack"]["dtype"],
        code=code_version("helios.gather", "helios.pack"),
    localrule: True
    script:
        "../scripts/pack.py"


rule report:
    input:
        index=f"{OUT}/trained/index.json",
        universe=f"{OUT}/universe/index.json",
    output:
        convergence=report(f"{OUT}/report/convergence.png", caption="../report/convergence.rst", category="Training"),
        gallery=report(f"{OUT}/report/gallery.png", caption="../report/gallery.rst", category="Training"),
        metrics=f"{OUT}/report/training_metrics.json",
        html=f"{OUT}/report/report.html",
    log:
        "logs/gather/report.log",
    params:
        code=code_version("helios.report"),
    localrule: True
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
    params:
        output_dir=OUT,
        code=code_version("helios.validate"),
    localrule: True
    script:
        "../scripts/validate.py"
