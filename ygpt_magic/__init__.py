"""ygpt_magic: YandexGPT in Jupyter through %%ygpt cells and a widget panel.

Loading the extension must stay cheap: nothing here imports the SDK. Once loaded, a background
thread imports it (client/preload.py), so that the first request does not pay for it either.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """Register the magics (called by ``%load_ext ygpt_magic``)."""
    from .client import preload
    from .magics import LATER, YGptMagics

    ipython.register_magics(YGptMagics(shell=ipython))
    preload.start(LATER)


def unload_ipython_extension(ipython) -> None:
    """Stop what the extension started (a local server, open clients)."""
    from .magics import YGptMagics

    magics = ipython.magics_manager.registry.get(YGptMagics.__name__)
    if magics is not None:
        magics.close()
