checkpoint select:
    input:
        index=f"{OUT}/universe/index.json",
        landmarks=landmarks_input,
    output:
        f"{OUT}/selection.json",
    log:
        "logs/select.log",
    params:
        select=config["select"],
        code=code_version("helios.selection", "helios.landmarks"),
    localrule: True
    script:
        "../scripts/select.py"
