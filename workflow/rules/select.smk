checkpoint select:
    input:
        index=f"{UNIVERSE}/index.json",
        landmarks=landmarks_input,
    output:
        f"{OUT}/selection.json",
    log:
        "logs/select.log",
    benchmark:
        f"{OUT}/benchmarks/select.tsv"
    localrule: True
    conda:
        "../envs/helios.yaml"
    params:
        select=canonical(config["select"]),
        code=code_version("helios.selection", "helios.landmarks"),
    script:
        "../scripts/select.py"
