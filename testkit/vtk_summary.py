"""Summarise VTK XML files with the real VTK library, as JSON on stdout.

Usage: python vtk_summary.py FILE...   (.vtu or .vtm)
For each file: the blocks it holds, and for each block its point and cell
counts, cell types, bounds, and for every point/cell array its components,
tuples, sum, min and max (over all components).
"""
import json
import sys

import vtk
from vtk.util.numpy_support import vtk_to_numpy


def arrays(data):
    out = {}
    for i in range(data.GetNumberOfArrays()):
        a = data.GetArray(i)
        v = vtk_to_numpy(a).astype("float64")
        out[a.GetName()] = {
            "components": a.GetNumberOfComponents(),
            "tuples": a.GetNumberOfTuples(),
            "sum": float(v.sum()),
            "min": float(v.min()) if v.size else 0.0,
            "max": float(v.max()) if v.size else 0.0,
            "first": [float(x) for x in v.reshape(-1)[:6]],
        }
    return out


def grid(g):
    types = set()
    for i in range(g.GetNumberOfCells()):
        types.add(g.GetCellType(i))
    vol = 0.0
    for i in range(g.GetNumberOfCells()):
        b = g.GetCell(i).GetBounds()
        vol += (b[1] - b[0]) * (b[3] - b[2]) * (b[5] - b[4])
    return {
        "points": g.GetNumberOfPoints(),
        "cells": g.GetNumberOfCells(),
        "cell_types": sorted(types),
        "bounds": list(g.GetBounds()),
        "cell_volume": vol,
        "point_data": arrays(g.GetPointData()),
        "cell_data": arrays(g.GetCellData()),
    }


def main():
    out = {}
    for path in sys.argv[1:]:
        if path.endswith(".vtm"):
            r = vtk.vtkXMLMultiBlockDataReader()
            r.SetFileName(path)
            r.Update()
            mb = r.GetOutput()
            blocks = []
            for i in range(mb.GetNumberOfBlocks()):
                blocks.append(grid(mb.GetBlock(i)))
            out[path] = blocks
        else:
            r = vtk.vtkXMLUnstructuredGridReader()
            r.SetFileName(path)
            r.Update()
            if r.GetErrorCode() != 0:
                raise SystemExit(f"{path}: VTK reader error {r.GetErrorCode()}")
            out[path] = [grid(r.GetOutput())]
    json.dump(out, sys.stdout)


main()
