"""Small papers as PDFs (fpdf2, English and Chinese text with the Noto CJK font) and a scripted generator
for the XPaperQA builder tests."""

from __future__ import annotations

import json
from pathlib import Path

from fpdf import FPDF

from babelvlm.tasks.babeltext_fonts import font_file

EN_TEXT = (
    "We propose AlignNet, a feature alignment method for cross-lingual retrieval. "
    "Across every test language, AlignNet raises retrieval accuracy by five points on the XQA benchmark."
)
ZH_TEXT = "本文提出了一种新的特征对齐方法。在XQA基准上，该方法把检索准确率提高了百分之五。"


def write_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF with one page per text (an empty text gives a page without a text layer)."""
    font = font_file("zh")
    pdf = FPDF()
    pdf.add_font("cjk", fname=str(font.path), collection_font_number=font.index)
    for text in pages:
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        if text:
            pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path) -> Path:
    """A PDF that needs a password to open."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "A locked paper about retrieval.")
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.output(str(path))
    return path


def make_papers(folder: Path) -> Path:
    """Two papers (English with a blank second page, Chinese), a broken and an encrypted PDF, a text file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "alignnet_en.pdf", [EN_TEXT, ""])
    write_pdf(folder / "alignnet_zh.pdf", [ZH_TEXT])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a PDF body\n")
    write_encrypted_pdf(folder / "locked.pdf")
    (folder / "notes.txt").write_text("not a paper")
    return folder


def qa(question: str, answer: str, confidence: int | None) -> str:
    item = {"question": question, "answer": answer}
    if confidence is not None:
        item["confidence"] = confidence
    return json.dumps(item, ensure_ascii=False)


# Kept questions share no word, so the Jaccard filter (> 0.1) keeps them.
EN_YES_NO = [
    qa("Does AlignNet raise retrieval accuracy?", "yes", 9),
    qa("Is speech data used for evaluation?", "no", 8),
    qa("Was the model trained on images only?", "no", 8),  # dropped by the yes/no balance
    qa("Has this work won awards?", "yes", 3),  # low confidence
]
EN_EXTRACTIVE = [
    '{"question": "What is the method called?", "answer": "AlignNet"}',  # malformed: no confidence
    qa("How many points of improvement were reported?", "five points", 9),
    qa("How many points of improvement were reported overall?", "five", 8),  # near-duplicate
    qa("Which benchmark serves as testbed?", "XQA", 8),  # inconsistent re-answer
]
ZH_QA = {
    "你得问题是判断对错式的": [qa("该方法提高了准确率吗？", "是", 9), qa("实验是否采用语音数据？", "否", 8)],
    "你得问题是抽取式的": [qa("检索性能增益有多大？", "百分之五", 8)],
}
REANSWERS = {
    "Does AlignNet raise retrieval accuracy?": qa("Does AlignNet raise retrieval accuracy?", "Yes.", 9),
    "Is speech data used for evaluation?": qa("Is speech data used for evaluation?", "No", 9),
    "Was the model trained on images only?": qa("Was the model trained on images only?", "no", 9),
    "How many points of improvement were reported?": qa("q", "five points", 9),
    "Which benchmark serves as testbed?": qa("q", "the MLQA multilingual suite", 6),
    "该方法提高了准确率吗？": qa("q", "是", 9),
    "实验是否采用语音数据？": qa("q", "否", 9),
    "检索性能增益有多大？": qa("q", "百分之五", 9),
}
TRANSLATIONS = {
    "Does AlignNet raise retrieval accuracy?": "AlignNet 是否提高了检索准确率？",
    "Is speech data used for evaluation?": "评估是否使用了语音数据？",
    "How many points of improvement were reported?": "报告了多少个百分点的提升？",
    "该方法提高了准确率吗？": "Does the method improve accuracy?",
    "实验是否采用语音数据？": "Do the experiments use speech data?",
    "检索性能增益有多大？": "How large is the retrieval gain?",
}


def generator_rules(path: Path) -> Path:
    """mock:script rules: re-answers and translations first (their prompts quote the question), then the
    generation prompts by type and paper; the Chinese abstractive prompt has no rule (a failed call)."""
    rules = []
    for question, reply in REANSWERS.items():
        rules.append({"contains": ["questions I ask" if question.isascii() else "我的问题如下", question],
                      "reply": reply})  # fmt: skip
    for question, reply in TRANSLATIONS.items():
        rules.append({"contains": ["Translate the following text", question], "reply": reply})
    rules.append({"contains": ["AlignNet", "true or false"], "reply": "\n".join(EN_YES_NO)})
    rules.append(
        {
            "contains": ["AlignNet", "need to be extractive"],
            "reply": "```json\n[" + ",".join(EN_EXTRACTIVE) + "]\n```",
        }
    )
    rules.append(
        {"contains": ["AlignNet", "summary-style"], "reply": "Sorry, I cannot write questions for this."}
    )
    for marker, items in ZH_QA.items():
        rules.append({"contains": ["特征对齐", marker], "reply": " ".join(items)})
    path.write_text(json.dumps(rules, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
