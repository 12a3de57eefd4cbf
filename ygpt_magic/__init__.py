"""ygpt_magic: YandexGPT in Jupyter through %%ygpt cells and a widget panel.

Loading the extension must stay cheap: nothing here imports the SDK; the client imports it on the
first request.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """Register the magics (called by ``%load_ext ygpt_magic``)."""
    from .magics import YGptMagics

    ipython.register_magics(YGptMagics(shell=ipython))


def unload_ipython_extension(ipython) -> None:
    """Stop what the extension started (a local server, open clients)."""
    from .magics import YGptMagics

    magics = ipython.magics_manager.registry.get(YGptMagics.__name__)
    if magics is not None:
        magics.close()
