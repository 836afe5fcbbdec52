"""What analysts read: the HTML report and the notebooks' helpers, over the DuckDB views.

- `html.render_report(con)` / `html.write_report(lake, out)`: `bouncepipe report`.
- `charts`: the matplotlib charts shared by the report and the notebooks.
- `findings`: "needs attention" sentences computed from the views.
- `nb`: notebook helpers (`lake_connection`, `show`, `plot`).
- `synth` / `demo`: the seeded synthetic lake (bench, demo) and the demo lake (examples + synth).
"""
