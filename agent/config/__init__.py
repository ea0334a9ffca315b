"""Settings and paths: where every layer reads lamp's configuration and its folders.

``settings`` merges defaults, the config file, ``LAMP_*`` variables and flags;
``paths`` names the private config, data and cache folders. Both sit here, not in
the CLI, because the application layer, serve and the benchmarks read them too.
"""
