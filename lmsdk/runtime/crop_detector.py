"""The tracker's per-frame path: one crop of one frame through the detector, with every buffer allocated once.

:meth:`Detector.__call__` serves any batch of any images; a tracker asks the same question every frame (one
box of one frame), so :class:`CropDetector` answers it without per-frame buffers: the crop is cut and resized
straight into a preallocated array by the same code as training (:func:`lmsdk.geometry.crop_resize`, its
area-averaged frame kept between calls), converted in place to the graph's input, and onnxruntime reads and
writes preallocated arrays (I/O binding). Only the small per-frame result is new.
"""

from __future__ import annotations

import numpy as np

from lmsdk.geometry import Box, CropScratch, bgr_to_rgb, crop_resize
from lmsdk.runtime.detector import Detector, Landmarks, landmarks_from_outputs


class CropDetector:
    """Landmarks inside one box of a BGR uint8 frame (already checked by the caller), allocation-free.

    Args:
        detector: the opened detector whose graph and backend it runs. With a backend that cannot bind buffers
            (TensorRT) the model call allocates its outputs; everything else stays preallocated.
    """

    def __init__(self, detector: Detector) -> None:
        spec = detector.manifest.input
        side, k = spec.crop_size, detector.num_landmarks
        self.detector = detector
        self._side, self._rgb, self._scale = side, spec.color_order == "RGB", np.float32(spec.scale)
        self._crop = np.empty((side, side, 3), np.uint8)
        self._input = np.empty((1, 3, side, side), np.float32)
        self._scratch = CropScratch()
        self._outputs = {"landmarks": np.empty((1, k, 2), np.float32), "confidence": np.empty((1, k), np.float32)}
        if detector.named_points:
            self._outputs["named"] = np.empty((1, len(detector.named_points), 2), np.float32)
        bind = getattr(detector.backend, "bound", None)
        self._run = None if bind is None else bind({"image": self._input}, self._outputs)
        self._names = tuple(detector.named_points)

    def __call__(self, frame: np.ndarray, box: Box) -> Landmarks:
        """Detect inside ``box`` of an HxWx3 uint8 BGR ``frame``; the same numbers as ``detector(frame, box)``."""
        crop_resize(frame, box, self._side, out=self._crop, scratch=self._scratch)
        # Colour order, dtype and layout in one pass into the input (seen channels-last), then the scale in place.
        np.copyto(
            self._input[0].transpose(1, 2, 0), bgr_to_rgb(self._crop) if self._rgb else self._crop, casting="unsafe"
        )
        np.multiply(self._input, self._scale, out=self._input)
        if self._run is not None:
            self._run()
            outputs = self._outputs
        else:
            outputs = self.detector.backend.run({"image": self._input})
        return landmarks_from_outputs(outputs, 0, box, self._names, copy=True)
