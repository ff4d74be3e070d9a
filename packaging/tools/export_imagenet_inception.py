#!/usr/bin/env python3
"""Exports ImageNet-pretrained Inception v3 weights to safetensors for `dermtool import-weights`.

Run on a machine with internet and PyTorch (the weights are downloaded once):
    python3 export_imagenet_inception.py torchvision inception_v3_imagenet.safetensors
    python3 export_imagenet_inception.py timm inception_v3_tv_in1k.safetensors   # needs timm
then, offline:
    dermtool import-weights --from torchvision inception_v3_imagenet.safetensors --out my-model

Needs only torch (and torchvision or timm); the safetensors package is not required.
"""
import json
import struct
import sys

import torch


def state_dict(source):
    if source == "torchvision":
        import torchvision
        return torchvision.models.inception_v3(weights="IMAGENET1K_V1", aux_logits=True).state_dict()
    if source == "timm":
        import timm
        return timm.create_model("inception_v3.tv_in1k", pretrained=True).state_dict()
    raise SystemExit("source must be torchvision or timm")


DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        data = tensor.view(torch.uint8).numpy().tobytes() if tensor.dim() else tensor.reshape(1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    write_safetensors(sys.argv[2], state_dict(sys.argv[1]))
    print("wrote", sys.argv[2])
