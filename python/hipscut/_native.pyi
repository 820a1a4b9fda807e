"""Types of the compiled half of hipscut (built by maturin from python/src)."""

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

__version__: str

def configure(
    *,
    cache_dir: Optional[str],
    use_cache: bool,
    cache_size: int,
    concurrency: int,
    retries: int,
    timeout: float,
    hipslist: Optional[str],
    sesame: Optional[str],
    decoded_cache_bytes: int,
    threads: int,
    user_agent: Optional[str],
) -> None: ...
def render(
    survey: Optional[str], spec: Dict[str, str]
) -> Tuple[np.ndarray, List[Tuple[str, str]], Dict[str, Any]]: ...
def render_bytes(survey: Optional[str], spec: Dict[str, str], format: str) -> bytes: ...
def render_file(survey: Optional[str], spec: Dict[str, str], output: str) -> None: ...
def query(pairs: List[Tuple[str, str]]) -> bytes: ...
