#!/usr/bin/env python3
"""Builds taxonomy/dermreader-taxonomy.json from the ISIC diagnosis hierarchy.

The tree follows Esteva et al. 2017 (Nature 542:115): three roots (benign,
malignant, non-neoplastic) and the nine second-level classes of Extended Data
Table 2d. Disease names below those come from the ISIC Archive's diagnosis
hierarchy (isic-metadata, Apache-2.0, Copyright 2022 Kitware, Inc.), placed
under the paper's nodes by the OUTLINE below; conditions the ISIC list lacks
(inflammatory conditions, genodermatoses, some lymphomas) are added by hand.

Usage: build_taxonomy.py ISIC_HIERARCHY.txt OUTPUT.json
The output is committed; rerun only when the outline changes, and keep node
ids stable: models are trained against them.
"""
import json
import re
import sys

TAXONOMY_VERSION = "2026.11.1"

# --- outline ---------------------------------------------------------------
# Each entry: N(name, children, **attrs) for a node, ISIC(path, ...) for an
# ISIC subtree (the node at `path` and everything below it).


class N:
    def __init__(self, name, children=(), id=None, source="dermreader", aliases=None,
                 group=None, lineage=None):
        self.name, self.children, self.id = name, list(children), id
        self.source, self.aliases = source, aliases or {}
        self.group, self.lineage = group, lineage


class ISIC:
    def __init__(self, path, exclude=(), rename=None, id=None, aliases=None, group=None,
                 sub_aliases=None, extra_children=()):
        self.path, self.exclude, self.rename, self.id = path, set(exclude), rename, id
        self.aliases, self.group = aliases or {}, group
        self.sub_aliases = sub_aliases or {}  # ISIC path -> aliases, inside this subtree
        self.extra_children = list(extra_children)


def P(name, **kw):
    return N(name, source="esteva2017", **kw)


B = "Benign:"
M = "Malignant:"
I = "Indeterminate:"
SOFT = B + "Benign soft tissue proliferations - "

OUTLINE = [
    P("Benign lesions", id="benign", group="benign", children=[
        P("Benign dermal tumours, cysts, sinuses", id="benign_dermal", lineage="dermal", children=[
            ISIC(B + "Benign adnexal epithelial proliferations - Apocrine or Eccrine",
                 exclude=[B + "Benign adnexal epithelial proliferations - Apocrine or Eccrine:Supernumerary nipple"]),
            ISIC(B + "Benign adnexal epithelial proliferations - Follicular"),
            ISIC(B + "Benign adnexal epithelial proliferations - Sebaceous",
                 exclude=[B + "Benign adnexal epithelial proliferations - Sebaceous:Nevus sebaceus"]),
            ISIC(SOFT + "Adipocytic"),
            ISIC(SOFT + "Cartilagenous and ossifying",
                 exclude=[SOFT + "Cartilagenous and ossifying:Accessory tragus"]),
            ISIC(SOFT + "Fibro-histiocytic", sub_aliases={
                SOFT + "Fibro-histiocytic:Dermatofibroma": {
                    "ham10000": ["df"], "isic-9class": ["dermatofibroma"]}}),
            ISIC(SOFT + "Muscle tissue or myofibroblastic"),
            ISIC(SOFT + "Myoepithelial"),
            ISIC(SOFT + "Neural"),
            N("Vascular and haemorrhagic lesions", id="vascular_lesions",
              aliases={"ham10000": ["vasc"], "isic-9class": ["vascular lesion", "vascular lesions"]},
              children=[ISIC(SOFT + "Vascular"), ISIC(B + "Hemorrhagic lesions")]),
            ISIC(B + "Cysts", exclude=[B + "Cysts:Milium"]),
            ISIC(B + "Langerhans cell proliferations"),
            ISIC(B + "Mast cell proliferations"),
        ]),
        P("Benign epidermal tumours, hamartomas, milia and growths", id="benign_epidermal",
          lineage="epidermal", children=[
              ISIC(B + "Benign epidermal proliferations", extra_children=[
                  N("Benign keratosis-like lesions", id="benign_keratosis_like",
                    aliases={"ham10000": ["bkl"]}, children=[
                        ISIC(B + "Benign epidermal proliferations:Seborrheic keratosis",
                             aliases={"isic2017": ["seborrheic_keratosis", "seborrheic keratosis"],
                                      "pad-ufes-20": ["SEK"], "isic-9class": ["seborrheic keratosis"]}),
                        ISIC(B + "Benign epidermal proliferations:Solar lentigo"),
                        ISIC(B + "Benign epidermal proliferations:Lichen planus like keratosis"),
                        ISIC(B + "Benign epidermal proliferations:Pigmented benign keratosis",
                             aliases={"isic-9class": ["pigmented benign keratosis"]}),
                    ])],
                   exclude=[B + "Benign epidermal proliferations:Seborrheic keratosis",
                            B + "Benign epidermal proliferations:Solar lentigo",
                            B + "Benign epidermal proliferations:Lichen planus like keratosis",
                            B + "Benign epidermal proliferations:Pigmented benign keratosis"]),
              N("Epidermal and adnexal hamartomas", id="epidermal_hamartomas", children=[
                  ISIC(B + "Benign adnexal epithelial proliferations - Sebaceous:Nevus sebaceus"),
              ]),
              ISIC(B + "Cysts:Milium"),
          ]),
        P("Benign melanocytic lesions", id="benign_melanocytic", lineage="melanocytic", children=[
            ISIC(B + "Benign melanocytic proliferations", sub_aliases={
                B + "Benign melanocytic proliferations:Nevus": {
                    "ham10000": ["nv"], "isic2017": ["nevus"], "pad-ufes-20": ["NEV"],
                    "isic-9class": ["nevus"]}}),
            ISIC(B + "Flat melanotic pigmentations - not melanocytic nevus"),
        ]),
    ]),
    P("Malignant lesions", id="malignant", group="malignant", children=[
        P("Malignant dermal tumours", id="malignant_dermal", lineage="dermal", children=[
            ISIC(M + "Malignant adnexal epithelial proliferations - Apocrine or Eccrine"),
            ISIC(M + "Malignant adnexal epithelial proliferations - Follicular",
                 exclude=[M + "Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma",
                          M + "Malignant adnexal epithelial proliferations - Follicular:Baso-squamous carcinoma"]),
            ISIC(M + "Malignant adnexal epithelial proliferations - Sebaceous"),
            ISIC(M + "Malignant soft tissue proliferations - Adipocytic"),
            ISIC(M + "Malignant soft tissue proliferations - Cartilagenous and ossifying"),
            ISIC(M + "Malignant soft tissue proliferations - Fibro-histiocytic"),
            ISIC(M + "Malignant soft tissue proliferations - Muscle tissue or myofibroblastic"),
            ISIC(M + "Malignant soft tissue proliferations - Myoepithelial"),
            ISIC(M + "Malignant soft tissue proliferations - Neural"),
            ISIC(M + "Malignant soft tissue proliferations - Unknown or other histiogenesis"),
            ISIC(M + "Malignant soft tissue proliferations - Vascular"),
            ISIC(M + "Merkel cell proliferation"),
            ISIC(M + "Skin metastasis of internal solid cancer - non-hematological"),
        ]),
        P("Malignant and premalignant epidermal tumours", id="malignant_epidermal",
          lineage="epidermal", children=[
              ISIC(M + "Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma",
                   aliases={"ham10000": ["bcc"], "pad-ufes-20": ["BCC"],
                            "isic-9class": ["basal cell carcinoma"]}),
              ISIC(M + "Malignant adnexal epithelial proliferations - Follicular:Baso-squamous carcinoma"),
              N("Actinic keratosis and squamous cell carcinoma", id="actinic_keratosis_and_scc",
                aliases={"ham10000": ["akiec"]}, children=[
                    ISIC(I + "Indeterminate epidermal proliferations:Solar or actinic keratosis",
                         group="premalignant",
                         aliases={"pad-ufes-20": ["ACK"], "isic-9class": ["actinic keratosis"]}),
                    ISIC(I + "Indeterminate epidermal proliferations:Solar or actinic cheilitis",
                         group="premalignant"),
                    N("Squamous cell carcinoma", id="squamous_cell_carcinoma",
                      aliases={"pad-ufes-20": ["SCC"], "isic-9class": ["squamous cell carcinoma"]},
                      children=[
                          ISIC(M + "Malignant epidermal proliferations:Squamous cell carcinoma in situ"),
                          ISIC(M + "Malignant epidermal proliferations:Squamous cell carcinoma, Invasive"),
                          ISIC(M + "Malignant epidermal proliferations:Squamous cell carcinoma, NOS"),
                          ISIC(M + "Malignant epidermal proliferations:Keratoacanthoma"),
                          ISIC(M + "Malignant epidermal proliferations:Verrucous carcinoma"),
                      ]),
                ]),
              ISIC(M + "Malignant epidermal proliferations:Bowenoid papulosis"),
          ]),
        P("Malignant melanoma", id="malignant_melanoma", lineage="melanocytic", children=[
            ISIC(M + "Malignant melanocytic proliferations (Melanoma)", id="melanoma",
                 aliases={"ham10000": ["mel"], "isic2017": ["melanoma"], "pad-ufes-20": ["MEL"],
                          "isic-9class": ["melanoma"]}),
            # Lesions of uncertain malignant potential are excised like melanoma.
            ISIC(I + "Indeterminate melanocytic proliferations", group="indeterminate"),
        ]),
        P("Cutaneous lymphoma and lymphoid infiltrates", id="cutaneous_lymphoma", children=[
            ISIC(M + "Lymphocytic proliferations - B-Cell"),
            ISIC(M + "Lymphocytic proliferations - T-Cell/NK", extra_children=[
                N("Primary cutaneous gamma-delta T-cell lymphoma"),
                N("Primary cutaneous CD8+ aggressive epidermotropic cytotoxic T-cell lymphoma"),
            ]),
            N("Other haematological infiltrates of the skin", id="other_haematological_infiltrates",
              children=[N("Leukaemia cutis"), N("Blastic plasmacytoid dendritic cell neoplasm")]),
        ]),
    ]),
    P("Non-neoplastic lesions", id="non_neoplastic", group="non_neoplastic", children=[
        P("Inflammatory conditions", id="inflammatory", children=[
            N("Eczema and dermatitis", children=[
                N("Atopic dermatitis"), N("Allergic contact dermatitis"),
                N("Irritant contact dermatitis"), N("Seborrheic dermatitis"),
                N("Nummular eczema"), N("Dyshidrotic eczema"), N("Stasis dermatitis"),
                N("Lichen simplex chronicus"), N("Prurigo nodularis")]),
            N("Papulosquamous disorders", children=[
                N("Psoriasis", children=[N("Plaque psoriasis"), N("Guttate psoriasis"),
                                         N("Pustular psoriasis"), N("Inverse psoriasis")]),
                N("Lichen planus"), N("Pityriasis rosea"), N("Pityriasis rubra pilaris")]),
            N("Acneiform and follicular disorders", children=[
                N("Acne vulgaris"), N("Rosacea"), N("Perioral dermatitis"), N("Folliculitis"),
                N("Hidradenitis suppurativa")]),
            N("Urticaria, erythemas and drug reactions", children=[
                N("Urticaria"), N("Erythema multiforme"), N("Drug eruption"),
                N("Erythema nodosum")]),
            N("Autoimmune connective tissue and bullous diseases", children=[
                N("Cutaneous lupus erythematosus"), N("Dermatomyositis"), N("Morphea"),
                N("Bullous pemphigoid"), N("Pemphigus vulgaris"), N("Dermatitis herpetiformis")]),
            N("Granulomatous conditions", children=[
                N("Granuloma annulare"), N("Sarcoidosis"), N("Necrobiosis lipoidica"),
                ISIC(B + "Exogenous")]),
            N("Vasculitis and neutrophilic dermatoses", children=[
                N("Leukocytoclastic vasculitis"), N("Pyoderma gangrenosum"), N("Sweet syndrome")]),
            N("Infections and infestations", children=[
                N("Bacterial infections", children=[N("Impetigo"), N("Cellulitis"), N("Erysipelas")]),
                N("Viral infections", children=[
                    N("Herpes simplex"), N("Herpes zoster"),
                    ISIC(B + "Inflammatory or infectious diseases:Molluscum"),
                    ISIC(B + "Inflammatory or infectious diseases:Verruca")]),
                N("Fungal infections", children=[
                    N("Tinea corporis"), N("Tinea pedis"), N("Onychomycosis"),
                    N("Pityriasis versicolor"), N("Cutaneous candidiasis")]),
                N("Infestations", children=[N("Scabies"), N("Pediculosis")]),
            ]),
            N("Pigmentary disorders", children=[
                N("Vitiligo"), N("Melasma"), N("Post-inflammatory hyperpigmentation")]),
            N("Ulcers", children=[N("Venous leg ulcer"), N("Pressure ulcer")]),
        ]),
        P("Genodermatoses and supernumerary growths", id="genodermatoses", children=[
            N("Genodermatoses", id="genodermatoses_inherited", children=[
                N("Neurofibromatosis type 1"), N("Tuberous sclerosis complex"),
                N("Ichthyosis vulgaris"), N("X-linked ichthyosis"), N("Epidermolysis bullosa"),
                N("Darier disease"), N("Hailey-Hailey disease"), N("Xeroderma pigmentosum"),
                N("Incontinentia pigmenti"), N("Naevoid basal cell carcinoma syndrome"),
                N("Pseudoxanthoma elasticum"), N("Hereditary haemorrhagic telangiectasia")]),
            N("Supernumerary growths", children=[
                ISIC(B + "Benign adnexal epithelial proliferations - Apocrine or Eccrine:Supernumerary nipple"),
                ISIC(SOFT + "Cartilagenous and ossifying:Accessory tragus"),
                N("Rudimentary supernumerary digit")]),
        ]),
    ]),
]

# ISIC entries deliberately left out: they are not single diagnoses.
EXCLUDED_ISIC = {
    B + "Benign - Other": "not a diagnosis",
    B + "Collision - Only benign proliferations": "collision of several lesions, not one disease",
    M + "Collision - At least one malignant proliferation": "collision of several lesions, not one disease",
}


# --- building ----------------------------------------------------------------

def slug(name):
    s = name.lower().replace("+", "plus")
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    return s


class Builder:
    def __init__(self, isic_paths):
        self.isic = isic_paths
        self.isic_set = set(isic_paths)
        self.used_isic = set()
        self.nodes = []
        self.ids = set()

    def isic_children(self, path):
        depth = path.count(":") + 1
        return [p for p in self.isic if p.startswith(path + ":") and p.count(":") == depth]

    def new_id(self, name, parent_id, wanted=None):
        nid = wanted or slug(name)
        if nid in self.ids:
            nid = f"{parent_id}__{nid}"
        if nid in self.ids:
            raise SystemExit(f"duplicate id {nid}")
        self.ids.add(nid)
        return nid

    def add(self, name, parent, source, group, lineage, aliases, wanted_id=None, isic_path=None):
        nid = self.new_id(name, parent["id"] if parent else "", wanted_id)
        node = {"id": nid, "name": name, "parent": parent["id"] if parent else None,
                "group": group, "lineage": lineage, "source": source}
        if isic_path:
            node["isic_path"] = isic_path
        if aliases:
            node["aliases"] = {k: list(v) for k, v in sorted(aliases.items())}
        self.nodes.append(node)
        return node

    def emit(self, entry, parent, group, lineage):
        if isinstance(entry, N):
            g = entry.group or group
            lin = entry.lineage or lineage
            node = self.add(entry.name, parent, entry.source, g, lin, entry.aliases, entry.id)
            for c in entry.children:
                self.emit(c, node, g, lin)
        else:
            self.emit_isic(entry.path, entry, parent, entry.group or group, lineage, top=True)

    def emit_isic(self, path, spec, parent, group, lineage, top=False):
        if path not in self.isic_set:
            raise SystemExit(f"ISIC path not found: {path}")
        if path in self.used_isic:
            raise SystemExit(f"ISIC path placed twice: {path}")
        self.used_isic.add(path)
        name = path.split(":")[-1]
        aliases = spec.aliases if top else spec.sub_aliases.get(path)
        node = self.add(name, parent, "isic", group, lineage, aliases,
                        spec.id if top else None, isic_path=path)
        for child in self.isic_children(path):
            if child in spec.exclude:
                continue
            self.emit_isic(child, spec, node, group, lineage)
        if top:
            for extra in spec.extra_children:
                self.emit(extra, node, group, lineage)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        isic = [line.rstrip("\n") for line in f if line.strip()]
    b = Builder(isic)
    for root in OUTLINE:
        b.emit(root, None, root.group, root.lineage)
    # Every ISIC diagnosis is placed once, or excluded on purpose.
    roots = {"Benign", "Malignant", "Indeterminate"}
    for p in isic:
        if p in roots or p in b.used_isic or p in EXCLUDED_ISIC:
            continue
        # Grouping nodes we dissolved are fine when all their children are placed.
        kids = b.isic_children(p)
        if kids and all(k in b.used_isic or k in EXCLUDED_ISIC for k in kids):
            continue
        raise SystemExit(f"ISIC diagnosis not placed: {p}")
    doc = {
        "format": "dermreader-taxonomy",
        "format_version": 1,
        "version": TAXONOMY_VERSION,
        "title": "dermreader disease taxonomy",
        "description": "Three roots and nine second-level classes after Esteva et al., Nature 542:115 "
                       "(2017), Extended Data Table 2d; diseases below them from the ISIC Archive "
                       "diagnosis hierarchy plus hand-added inflammatory conditions, genodermatoses "
                       "and lymphomas.",
        "attribution": "Disease names and sub-hierarchies marked source=isic are derived from the ISIC "
                       "Archive diagnosis hierarchy (isic-metadata project), Copyright 2022 Kitware, "
                       "Inc., licensed under the Apache License 2.0 (see NOTICE in this folder).",
        "alias_sets": {
            "ham10000": "HAM10000 metadata `dx` codes",
            "isic2017": "ISIC 2017 challenge ground-truth classes",
            "pad-ufes-20": "PAD-UFES-20 metadata `diagnostic` codes",
            "isic-9class": "folder names of the 'Skin cancer ISIC' 9-class image set",
        },
        "excluded_isic_entries": [{"isic_path": k, "reason": v} for k, v in EXCLUDED_ISIC.items()],
        "nodes": b.nodes,
    }
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(b.nodes)} nodes to {sys.argv[2]}")


if __name__ == "__main__":
    main()
