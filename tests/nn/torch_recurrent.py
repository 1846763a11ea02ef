"""Reference outputs and gradients of torch.nn.RNN, LSTM and GRU for tests/nn/test_recurrent.cpp.

Writes one safetensors file (the format written by hand: an 8-byte little-endian header length, a
JSON header, then the raw little-endian float64 data) holding, for each configuration NAME:
  NAME.param.<torch parameter name>   the weights (so tapegrad loads exactly these)
  NAME.x, NAME.h0, NAME.c0            the inputs
  NAME.w_out, NAME.w_h, NAME.w_c      fixed weights of the scalar loss
                                      sum(output * w_out) + sum(h_n * w_h) [+ sum(c_n * w_c)]
  NAME.output, NAME.h_n, NAME.c_n     torch's forward results
  NAME.grad.<x | h0 | c0 | param name> torch's gradients of the loss
All in float64. Usage: python3 torch_recurrent.py OUT.safetensors
"""
import json
import struct
import sys

import torch

CONFIGS = {
    # name: (class, constructor kwargs, input shape, state shape)
    "lstm": (torch.nn.LSTM, dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True,
                                 batch_first=True), (2, 5, 3), (4, 2, 4)),
    "gru": (torch.nn.GRU, dict(input_size=3, hidden_size=4, num_layers=2), (5, 2, 3), (2, 2, 4)),
    "rnn_tanh": (torch.nn.RNN, dict(input_size=3, hidden_size=4), (5, 2, 3), (1, 2, 4)),
    "rnn_relu": (torch.nn.RNN, dict(input_size=3, hidden_size=4, nonlinearity="relu",
                                    bidirectional=True), (5, 2, 3), (2, 2, 4)),
}


def main(out_path):
    torch.manual_seed(0)
    tensors = {}
    for name, (cls, kwargs, x_shape, s_shape) in CONFIGS.items():
        m = cls(**kwargs).double()
        lstm = cls is torch.nn.LSTM
        x = torch.randn(*x_shape, dtype=torch.float64, requires_grad=True)
        h0 = torch.randn(*s_shape, dtype=torch.float64, requires_grad=True)
        c0 = torch.randn(*s_shape, dtype=torch.float64, requires_grad=True) if lstm else None
        out, state = m(x, (h0, c0) if lstm else h0)
        h_n, c_n = state if lstm else (state, None)
        w_out = torch.randn(*out.shape, dtype=torch.float64)
        w_h = torch.randn(*h_n.shape, dtype=torch.float64)
        loss = (out * w_out).sum() + (h_n * w_h).sum()
        if lstm:
            w_c = torch.randn(*c_n.shape, dtype=torch.float64)
            loss = loss + (c_n * w_c).sum()
        loss.backward()
        for pname, p in m.named_parameters():
            tensors[f"{name}.param.{pname}"] = p.detach()
            tensors[f"{name}.grad.{pname}"] = p.grad
        items = {"x": x.detach(), "h0": h0.detach(), "w_out": w_out, "w_h": w_h,
                 "output": out.detach(), "h_n": h_n.detach(), "grad.x": x.grad,
                 "grad.h0": h0.grad}
        if lstm:
            items.update({"c0": c0.detach(), "w_c": w_c, "c_n": c_n.detach(),
                          "grad.c0": c0.grad})
        for k, v in items.items():
            tensors[f"{name}.{k}"] = v

    header, blobs, offset = {}, [], 0
    for k in sorted(tensors):
        data = tensors[k].contiguous().numpy().astype("<f8").tobytes()
        header[k] = {"dtype": "F64", "shape": list(tensors[k].shape),
                     "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"torch": torch.__version__}
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(out_path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    main(sys.argv[1])
