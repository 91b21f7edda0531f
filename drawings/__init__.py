"""drawings."""

# readers (helper C): detect the format from the bytes, read any sheet into the neutral model
from drawings import index as index  # noqa: E402
from drawings.detect import FormatInfo as FormatInfo  # noqa: E402
from drawings.detect import detect_format as detect_format  # noqa: E402
from drawings.readers import READER_VERSION as READER_VERSION  # noqa: E402
from drawings.readers import read as read  # noqa: E402
