"""Decision tools on top of a finished run: fiscal-transfer and compensation allocation
(``gep allocate``), GEP assessment (``gep assess``) and ecological-asset valuation of parcels
(``gep value-area``).  Each reads a run folder through :mod:`gepkit.decisions.run_results`."""
