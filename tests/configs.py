"""Configuration files of the Edge <-> Clientbook pair, as a store writes them, for CLI tests."""

from __future__ import annotations

from pathlib import Path


def edge_clientbook_toml(
    folder: Path,
    url: str,
    api_key: str,
    *,
    retry_attempts: int = 2,
    clientbook: str = "",
    pair: str = "",
) -> Path:
    """Write ``syncwright.toml`` in ``folder``: Edge on ``edt/``, Clientbook at ``url``.

    ``clientbook`` adds keys to the Clientbook system's table, ``pair`` tables after the pair's.
    """
    (folder / "edt").mkdir(exist_ok=True)  # Edge's exchange folder is never made by syncwright
    path = folder / "syncwright.toml"
    path.write_text(f"""
[state]
path = "state.db"
[engine]
retry_attempts = {retry_attempts}
retry_initial_wait = 0.01
[systems.edge]
connector = "edge"
folder = "edt"
store_license_id = "1001"
settle_seconds = 0
[systems.clientbook]
connector = "clientbook"
base_url = "{url}"
api_key = "{api_key}"
{clientbook}
[pairs.store]
preset = "edge-clientbook"
pos = "edge"
platform = "clientbook"
default_associate = "1"
{pair}
""")
    return path
