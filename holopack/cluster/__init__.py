"""Scale-out: the same renders spread over local processes or a Dask cluster.

    from holopack.cluster import connect
    with connect("tcp://scheduler:8786") as executor:       # needs holopack[cluster]
        holopack.export("twin.glb", "LOOP.BIN", device="3dcircle-42f2", executor=executor)

Modules, one concept each:

- ``executors``: where tasks run (in this process, local processes, a Dask cluster)
  behind one interface, and the bounded windows that feed them.
- ``dask_executor``: connecting to a scheduler, refusing workers of another version,
  turning a lost scheduler into one error line.
- ``inputs``: an input file with everything it pulls in, shipped once by content hash.
- ``chunks``: a run of frames rendered and packed to device bytes on a worker, and
  written back in frame order on the client.
- ``export``: a long clip split into chunks.
- ``pack_units``: a playlist's (item, device) files rendered on the cluster.
- ``versions``: what a worker must share with the client.

Nothing heavy is imported here: Dask is optional, and worker processes import this
package before they may import Numba.
"""


def connect(address: str, *, shared_fs: bool = False, **kwargs):
    """A DaskExecutor on the scheduler at ``address`` (see dask_executor.connect)."""
    from .dask_executor import connect as _connect

    return _connect(address, shared_fs=shared_fs, **kwargs)


__all__ = ["connect"]
