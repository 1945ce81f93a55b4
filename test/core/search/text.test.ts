import { describe, expect, it } from 'vitest';
import { foldWord, StemCache, stemWord, STOP_WORDS, tokenize } from '../../../src/core/search/text.js';
import { compileVocabulary, CONCEPTS, findConcepts } from '../../../src/core/search/vocabulary.js';

describe('tokenize', () => {
  it('lower-cases and splits on anything that is not a letter or digit', () => {
    expect(tokenize('Speech-to-Text, for ZOOM calls!')).toEqual(['speech', 'to', 'text', 'for', 'zoom', 'calls']);
  });
  it('drops single letters but keeps digits and "x"', () => {
    expect(tokenize("what's in 4 x pic a")).toEqual(['what', 'in', '4', 'x', 'pic']);
  });
  it('reads "speech2text" as "speech to text"', () => {
    expect(tokenize('speech2text')).toEqual(['speech', 'to', 'text']);
  });
  it('strips diacritics', () => {
    expect(tokenize('Résumé naïve Übersetzung')).toEqual(['resume', 'naive', 'ubersetzung']);
  });
  it('leaves no index term from function words, pronouns or what a contraction leaves behind', () => {
    const content = (text: string) =>
      new StemCache()
        .stream(text)
        .filter((t) => t.content)
        .map((t) => t.word);
    expect(content("I don't want it to do that by itself while we wait")).toEqual(['wait']);
    expect(content("see where my teammate's cursor is while we edit together")).toEqual(['see', 'teammate', 'cursor', 'edit', 'together']);
  });
  it('handles empty and symbol-only input', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('?!… —')).toEqual([]);
  });
});

describe('stemming and spelling', () => {
  it('folds British spellings before stemming', () => {
    expect(foldWord('summarise')).toBe('summarize');
    expect(stemWord('summarising')).toBe(stemWord('summarizing'));
    expect(stemWord('colour')).toBe(stemWord('color'));
    expect(stemWord('localisation')).toBe(stemWord('localization'));
  });
  it('conflates inflections', () => {
    expect(stemWord('transcripts')).toBe(stemWord('transcript'));
    expect(stemWord('images')).toBe(stemWord('image'));
    expect(stemWord('translating')).toBe(stemWord('translate'));
  });
  it('treats "into" as "to" so directional phrases match', () => {
    expect(foldWord('into')).toBe('to');
  });
  it('marks stop words as non-content but keeps them in the phrase stream; drops pronouns', () => {
    const s = new StemCache().stream('I need to read it aloud');
    expect(s.map((t) => t.word)).toEqual(['need', 'to', 'read', 'aloud']);
    expect(s.filter((t) => t.content).map((t) => t.word)).toEqual(['read', 'aloud']);
    expect(STOP_WORDS.has('need')).toBe(true);
  });
});

describe('vocabulary', () => {
  const stems = new StemCache();
  const vocab = compileVocabulary(stems);
  const concepts = (text: string) => [...new Set(findConcepts(vocab, stems.stream(text)).map((h) => vocab.concepts[h.concept]!.id))].sort();

  it('has unique ids, labels and at least one term per concept', () => {
    const ids = CONCEPTS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CONCEPTS) {
      expect(c.label.length).toBeGreaterThan(0);
      expect(c.terms.length).toBeGreaterThan(0);
    }
  });

  it('has no entry that is a single stop word (it would fire on any text)', () => {
    const bad: string[] = [];
    for (const c of CONCEPTS) {
      for (const t of c.terms) {
        const toks = stems.stream(t.replace(/^[!=]+/, ''));
        if (toks.length === 0 || (toks.length === 1 && !toks[0]!.content)) bad.push(`${c.id}: ${t}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('maps everyday wording onto task concepts', () => {
    expect(concepts('read my blog posts aloud')).toContain('tts');
    expect(concepts('turn my meeting recording into a transcript')).toEqual(expect.arrayContaining(['stt', 'audio', 'meeting']));
    expect(concepts('describe a screenshot')).toEqual(expect.arrayContaining(['vision', 'image']));
    expect(concepts('make a scanned receipt searchable')).toContain('ocr');
    expect(concepts('tl;dr of this article')).toContain('summarize');
    expect(concepts('vector db for RAG')).toContain('embeddings');
    expect(concepts('flag toxic comments')).toEqual(expect.arrayContaining(['moderation', 'toxicity']));
    expect(concepts('who spoke when')).toContain('diarization');
  });

  it('skips words inside a phrase once it has matched a content word, never inside a run of function words', () => {
    // Gaps after a content word: "synthesize … speech", "text to … speech", "speech to … text".
    expect(concepts('synthesize my long speech')).toContain('tts');
    expect(concepts('convert text to natural speech')).toContain('tts');
    expect(concepts('speech to written text')).toContain('stt');
    // "what is in" asks what an image shows; "what I want in" does not.
    expect(concepts("what's in this picture")).toContain('vision');
    expect(concepts('describe what I want in plain english')).not.toContain('vision');
  });

  it('keeps direction: text to speech is not speech to text', () => {
    expect(concepts('text to speech')).toContain('tts');
    expect(concepts('text to speech')).not.toContain('stt');
    expect(concepts('speech into text')).toContain('stt');
    expect(concepts('speech into text')).not.toContain('tts');
  });

  it('lets a claiming phrase hide the concepts of its words', () => {
    expect(concepts('detect hate speech')).toContain('moderation');
    expect(concepts('detect hate speech')).not.toContain('audio');
    expect(concepts('fine tune on our data')).not.toContain('music');
    // Nor may a phrase reach into it from before, over a gap: "detect [hate] speech" is not voice activity.
    expect(concepts('detect hate speech')).not.toContain('vad');
    expect(concepts('detect speech in a recording')).toContain('vad');
  });

  it('matches exact-word entries where stems collide', () => {
    expect(concepts('runs on embedded devices')).not.toContain('embeddings');
    expect(concepts('compute embeddings')).toContain('embeddings');
    expect(concepts('voice conversion')).not.toContain('chat');
    expect(concepts('what is new')).not.toContain('news');
  });

  // Word senses that made the wrong kind of capability match (each found on a dev miss): a sandbox is not image
  // segmentation, printing an answer is not OCR, an SDK is not a hosted API, "explicit" reasoning and "moderate"
  // latency are not content moderation, a licence is not a price, and "generation" next to "speech to text" in a URI
  // is not speech synthesis.
  it('keeps the senses apart that passports use in passing', () => {
    expect(concepts('run the agent in an isolated execution environment')).toContain('sandbox');
    expect(concepts('run the agent in an isolated execution environment')).not.toContain('segmentation');
    expect(concepts('isolate the subject from the background')).toContain('segmentation');
    expect(concepts('prints the answer in my terminal')).not.toContain('ocr');
    expect(concepts('scan printed pages')).toContain('ocr');
    expect(concepts('typescript sdk for mcp servers')).not.toContain('api');
    expect(concepts('explicit chain of thought at moderate latency')).not.toContain('moderation');
    expect(concepts('block sexually explicit images')).toContain('moderation');
    expect(concepts('apache license')).toEqual(expect.arrayContaining(['license']));
    expect(concepts('apache license')).not.toContain('cost');
    expect(concepts('text generation language speech to text')).not.toContain('tts');
    expect(concepts('cut the silences out of a video')).not.toContain('segmentation');
    // "CLIP-based vision encoder" is a model, not a video clip (every vision passport covered "video" through it).
    expect(concepts('a vision encoder (likely CLIP-based)')).not.toContain('video');
    expect(concepts('cut my video into short clips')).toContain('video');
    // Traps a review found in this round's own phrases, now out.
    expect(concepts('translate this into Arabic')).not.toContain('regional');
    expect(concepts('transcribe this short audio clip')).not.toContain('video');
    expect(concepts('read the text on my computer screen')).not.toContain('computer-use');
    expect(concepts('regenerate my API key')).not.toContain('iterate');
    expect(concepts('compute the 95% CI of the mean')).not.toContain('ci');
    expect(concepts('generate test questions for my students')).not.toContain('benchmark');
    expect(concepts('show how sentiment changes over time')).not.toContain('versioning');
  });

  it('allows a short gap inside a phrase', () => {
    expect(concepts('read this long post out loud')).toContain('tts');
    expect(concepts('remove the background')).toContain('segmentation');
  });
});
