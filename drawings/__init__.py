"""drawings: sheet formats (DXF, DWG, PDF) into the neutral model, the set registry, rendering.

Public API: :func:`detect_format`, :func:`check_complete` (truncated files), :func:`read`,
:func:`open_regular` (a drawing file on disk, never a FIFO or device, within the size limit),
:data:`READER_VERSION`, :mod:`index` (the fingerprint index kept per blob), :func:`paused_gc`
(bulk work on big sheets); the registry, ingest and rendering are the submodules
:mod:`drawings.registry`, :mod:`drawings.ingest`, :mod:`drawings.render` (imported on use: they
pull in SQLAlchemy and PyMuPDF).
"""

from drawings import index as index
from drawings.detect import FormatInfo as FormatInfo
from drawings.detect import check_complete as check_complete
from drawings.detect import detect_format as detect_format
from drawings.gcpause import paused_gc as paused_gc
from drawings.readers import READER_VERSION as READER_VERSION
from drawings.readers import read as read
from drawings.sources import UploadLimits as UploadLimits
from drawings.sources import open_regular as open_regular
