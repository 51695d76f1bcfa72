"""MTCNN's three stages over a batch, with the candidate crops resampled in one call per stage.

facenet-pytorch's ``detect_face`` resizes every candidate box with a torch ``interpolate(mode="area")`` call
(~70 per LFW image, ~70 us each), a third of the CPU time of a batched pass. Here the candidates are cut
from the uint8 images with OpenCV's INTER_AREA resize (the same area averaging, a few us each; a single
``torchvision.ops.roi_align`` per stage was measured slower on CPU). Everything else (pyramid, networks,
thresholds, NMS, box regression) is facenet-pytorch's own code.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from facenet_pytorch.models.utils.detect_face import (
    batched_nms_numpy,
    bbreg,
    generateBoundingBox,
    pad,
    rerec,
)
from torchvision.ops.boxes import batched_nms


def _crops(images: np.ndarray, boxes: torch.Tensor, image_inds: torch.Tensor, size: int) -> torch.Tensor:
    """Normalised ``size`` x ``size`` crops of the (clipped) candidate boxes, cut as facenet-pytorch does
    (rows y-1 .. ey-1, columns x-1 .. ex-1), as an NCHW float tensor on the boxes' device."""
    h, w = images.shape[1:3]
    y, ey, x, ex = pad(boxes, w, h)
    out = np.zeros((len(y), size, size, 3), np.uint8)
    for k, (i, y0, y1, x0, x1) in enumerate(zip(image_inds.tolist(), y - 1, ey, x - 1, ex, strict=True)):
        if y1 > y0 and x1 > x0:
            out[k] = cv2.resize(images[i, y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
    crops = torch.from_numpy(out).to(boxes.device).permute(0, 3, 1, 2).float()
    return ((crops - 127.5) * 0.0078125).contiguous(memory_format=torch.channels_last)


def _pyramid_level(images: np.ndarray, height: int, width: int, device, dtype) -> torch.Tensor:
    """The batch area-resized to (height, width) and normalised. OpenCV per image on float32 (no rounding)
    was measured ~3x faster than torch's area interpolation of the whole batch on CPU; the NHWC result viewed
    as NCHW is already channels-last."""
    level = np.stack([cv2.resize(im, (width, height), interpolation=cv2.INTER_AREA) for im in images])
    return (torch.from_numpy(level).to(device, dtype).permute(0, 3, 1, 2) - 127.5) * 0.0078125


def detect_stages(
    images: np.ndarray, minsize: int, pnet, rnet, onet, threshold, factor: float, device, skip_levels: int = 0
) -> list:
    """``images``: (B, H, W, 3) uint8. Returns per image (boxes (N, 5) with prob, points (N, 5, 2)).
    ``skip_levels`` drops the first (finest) pyramid levels and keeps the others' scales unchanged."""
    dtype = next(pnet.parameters()).dtype
    batch_size, h, w = images.shape[:3]
    as_float = images.astype(np.float32)
    scale, minl, scales = 12.0 / minsize, min(h, w) * 12.0 / minsize, []
    while minl >= 12:
        scales.append(scale)
        scale, minl = scale * factor, minl * factor
    scales = scales[skip_levels:]
    if not scales:  # an image too small for any level searched (20-39 px with the large-faces-first search)
        return [(np.zeros((0, 5), np.float32), np.zeros((0, 5, 2), np.float32)) for _ in range(batch_size)]

    boxes, image_inds, picks, offset = [], [], [], 0
    for s in scales:
        im_data = _pyramid_level(as_float, int(h * s + 1), int(w * s + 1), device, dtype)
        reg, probs = pnet(im_data)
        boxes_s, inds_s = generateBoundingBox(reg, probs[:, 1], s, threshold[0])
        boxes.append(boxes_s)
        image_inds.append(inds_s)
        picks.append(batched_nms(boxes_s[:, :4], boxes_s[:, 4], inds_s, 0.5) + offset)
        offset += boxes_s.shape[0]
    picks_all = torch.cat(picks)
    boxes, image_inds = torch.cat(boxes)[picks_all], torch.cat(image_inds)[picks_all]
    pick = batched_nms(boxes[:, :4], boxes[:, 4], image_inds, 0.7)
    boxes, image_inds = boxes[pick], image_inds[pick]
    regw, regh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    boxes = torch.stack(
        [
            boxes[:, 0] + boxes[:, 5] * regw,
            boxes[:, 1] + boxes[:, 6] * regh,
            boxes[:, 2] + boxes[:, 7] * regw,
            boxes[:, 3] + boxes[:, 8] * regh,
            boxes[:, 4],
        ],
        dim=1,
    )
    boxes = rerec(boxes)

    if len(boxes) > 0:  # second stage: RNet on 24 x 24 crops
        reg, prob = rnet(_crops(images, boxes, image_inds, 24))
        score = prob[:, 1]
        keep = score > threshold[1]
        boxes = torch.cat((boxes[keep, :4], score[keep, None]), dim=1)
        image_inds, reg = image_inds[keep], reg[keep]
        pick = batched_nms(boxes[:, :4], boxes[:, 4], image_inds, 0.7)
        boxes = rerec(bbreg(boxes[pick], reg[pick]))
        image_inds = image_inds[pick]

    points = torch.zeros(0, 5, 2, device=device)
    if len(boxes) > 0:  # third stage: ONet on 48 x 48 crops, with landmarks
        reg, marks, prob = onet(_crops(images, boxes, image_inds, 48))
        score = prob[:, 1]
        keep = score > threshold[2]
        boxes = torch.cat((boxes[keep, :4], score[keep, None]), dim=1)
        image_inds, reg, marks = image_inds[keep], reg[keep], marks[keep]
        w_i = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
        h_i = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
        points = torch.stack((w_i * marks[:, :5] + boxes[:, 0:1] - 1, h_i * marks[:, 5:10] + boxes[:, 1:2] - 1), dim=2)
        boxes = bbreg(boxes, reg)
        pick = batched_nms_numpy(boxes[:, :4], boxes[:, 4], image_inds, 0.7, "Min")
        boxes, image_inds, points = boxes[pick], image_inds[pick], points[pick]

    boxes, points, image_inds = boxes.cpu().numpy(), points.cpu().numpy(), image_inds.cpu().numpy()
    return [(boxes[image_inds == b], points[image_inds == b]) for b in range(batch_size)]
