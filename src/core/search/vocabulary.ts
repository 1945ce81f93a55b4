// The curated vocabulary of the AI-task domain: concepts, each a set of words and phrases people and passports
// use for the same thing ("read it aloud", "narration", "TTS" -> text to speech). Passports and intents are both
// mapped onto these concepts, so a query matches a capability that never uses the query's words.
//
// Why concepts and not a plain synonym list: expansion in both directions keeps the index small (one concept
// term per phrase, not every synonym), and a phrase can claim its words so that "hate speech" counts as
// moderation rather than audio. Entries are plain words; they are stemmed like everything else at compile time,
// so list the forms whose stems differ ("transcribe" and "transcription" stem differently).
import type { StemCache, StreamToken } from './text.js';

export interface Concept {
  /** Stable id, used as the index term `@id`. */
  id: string;
  /** Shown in match reasons. */
  label: string;
  /** Words and phrases (matched on stems, longest first, pronouns and articles ignored). */
  terms: readonly string[];
  /**
   * Query-side weight relative to other concepts (default 1). Context concepts (who, where: "customers",
   * "news", "meeting") get less than task concepts (what: "summarize", "transcribe"), so "summarize customer
   * reviews" asks for a summariser, not a sentiment model.
   */
  weight?: number;
  /** Input modalities (MODALITY bits) an intent mentioning this concept implies the user has. */
  modality?: number;
  /**
   * A need only the concept answers: when an intent says it in a phrase of several words ("generate an image"), a
   * capability that has the words apart ("generates text ... image inputs") does not cover them (analyze.ts).
   */
  whole?: boolean;
  /**
   * Concepts a capability that has this one also serves in part (document side only): a general image-understanding
   * model reads the text in a scanned receipt and explains a chart even when its passport never says "OCR".
   */
  implies?: readonly string[];
}

/**
 * Non-text input modalities, as bits, and one need that works the same way: `data`, an intent asking for data
 * itself (to train, test or measure on). A dataset or benchmark requires it, as a speech model requires audio: it
 * does not do "answer tricky questions step by step", it only holds questions.
 */
export const MODALITY = { audio: 1, image: 2, video: 4, data: 8 } as const;

/**
 * How an intent asks for data rather than for a task done: words that only mean data, and two-word phrases whose
 * words alone are everyday task words ("write unit tests" is a task; "a test suite for my model" asks for data).
 * Matched on stems, so word forms count.
 */
export const DATA_WORDS: readonly string[] = 'dataset|corpus|corpora|benchmark|leaderboard|pretrain'.split('|');
export const DATA_PHRASES: readonly string[] = (
  'training data|training set|training examples|train data|test set|test suite|test data|eval set|evaluation set|' +
  'evaluation data|validation set|labelled data|labeled data|annotated data|reference solutions|sample data|' +
  'raw text|training text|test questions|test problems|contest problems'
).split('|');

interface ConceptOptions {
  weight?: number;
  modality?: number;
  implies?: readonly string[];
  whole?: boolean;
}

const CONTEXT: ConceptOptions = { weight: 0.6 };
const AUDIO: ConceptOptions = { modality: MODALITY.audio };
const IMAGE: ConceptOptions = { modality: MODALITY.image };
const VIDEO: ConceptOptions = { modality: MODALITY.video | MODALITY.image };
/** Making or converting media: "generate an image" is not answered by "generates text" and "image inputs" apart. */
const WHOLE: ConceptOptions = { whole: true };

const c = (id: string, label: string, terms: string, opts: ConceptOptions = {}): Concept => ({
  id,
  label,
  terms: terms
    .split('|')
    .map((t) => t.trim())
    .filter(Boolean),
  ...opts,
});

// One concept per line reads as a table: the formatter leaves it as written.
// prettier-ignore
export const CONCEPTS: readonly Concept[] = [
  // --- audio and speech
  c('stt', 'speech to text', 'speech to text|stt|asr|speech recognition|recognize speech|recognise speech|automatic speech recognition|transcribe|transcribes|transcribed|transcribing|transcription|transcriptions|transcript|transcripts|dictation|dictate|dictated|voice to text|audio to text|voice typing|spoken words to text|what was said|what they said|what did they say|written notes|minutes of|whisper', { ...AUDIO, ...WHOLE }),
  c('subtitles', 'subtitles and captions', 'subtitle|subtitles|subtitling|closed captions|closed captioning|srt|vtt|webvtt|caption file|caption files|captions for video|karaoke|timestamps|timestamped|word timings|word level timings'),
  c('audio', 'audio', 'audio|sound|sounds|=recording|=recordings|=recorded|voice memo|voice memos|voice note|voice notes|podcast|podcasts|mp3|wav|m4a|flac|ogg|pcm|audio file|audio clip|spoken|speech|microphone|mic|listen|listening|hear|radio|voicemail|phone call|phone calls|call recording|call recordings', AUDIO),
  c('voice', 'voice', 'voice|voices|vocal|vocals|voiced', AUDIO),
  c('tts', 'text to speech', 'text to speech|tts|read aloud|read out loud|reads aloud|aloud|out loud|narrate|narrates|narrated|narration|narrator|voiceover|voiceovers|voice over|speech synthesis|synthesize speech|synthesized speech|speech synthesizer|synthetic voice|synthetic voices|talk back|talks back|audiobook|audiobooks|spoken version|audio version|voice generation|=generate speech|=generates speech|=generating speech|=generated speech|speech generation|speech output|spoken output|speak text|say it out loud|text to voice|text to audio|speaking assistant|make it speak|speak the|speak responses', WHOLE),
  c('voice-clone', 'voice cloning', 'voice clone|voice cloning|clone voice|clone my voice|cloned voice|clone|cloning|copy voice|copy my voice|custom voice|replicate voice|sounds like me|sound like me|own voice|digital voice|brand voice|voice profile', AUDIO),
  c('voice-conversion', 'voice conversion', 'voice conversion|voice changer|change voice|change the voice|convert voice|revoice|re voice|different voice|voice replacement|sound like a different person|sound like someone else|speech to speech|another voice', AUDIO),
  c('diarization', 'speaker diarization', 'diarization|diarize|diarizing|who spoke when|who spoke|who said what|who said|who is speaking|who is talking|who talks|speaker turns|speaker labels|speaker segmentation|separate speakers|separate the speakers|split by speaker|different speakers|identify speakers|speaker identification|label speakers|label the speakers|speaker change|rttm|which person is talking|multiple speakers', AUDIO),
  c('vad', 'voice activity detection', 'voice activity detection|voice activity|vad|silence|silences|silent|dead air|speech segments|detect speech|where speech occurs|speech regions|non speech', AUDIO),
  c('overlap', 'overlapping speech', 'overlapped speech|overlapping speech|talk over each other|talking over each other|talk at the same time|interrupt|interrupts|interruption|interruptions|crosstalk|cross talk|speak at once', AUDIO),
  c('language-id', 'language identification', 'language identification|language detection|detect language|detect the language|detects the language|identify language|identify the language|identifies the language|which language|what language|language id|lid|language of|language is|language it is|language code|language codes|spoken language'),
  c('music', 'music', 'music|musical|song|songs|soundtrack|soundtracks|melody|melodies|=tune|=tunes|jingle|jingles|instrumental|instrumentals|composer|background music|hum|hummed|humming|whistled|royalty free music|lyrics|singing|sing'),
  // --- images and video
  c('music-gen', 'music generation', 'music generation|generate music|make music|create music|compose music|text to music|generate a song|song generation|write a song|make a song|produce a beat', WHOLE),
  c('image', 'image', 'image|images|picture|pictures|photo|photos|photograph|photographs|photography|screenshot|screenshots|screen grab|screen capture|jpeg|jpg|png|webp|gif|tiff|visual|visuals|imagery|snapshot|snapshots|still image|still images|still photo|still picture|selfie|selfies|camera image|camera images|thumbnail|thumbnails|!computer vision', IMAGE),
  c('vision', 'image understanding', 'vision|visual question answering|vqa|image understanding|understand images|understands images|image analysis|analyze images|analyze image|analyze photos|multimodal|multi modal|vision language|what is in|whats in|what s in|scene understanding|describe image|describe images|describe photo|describe picture|describe screenshot|understand pictures|understand photos|see images|see pictures|=eyes', { ...IMAGE, implies: ['ocr', 'describe', 'diagram'] }),
  c('describe', 'describe', 'describe|describes|describing|description|descriptions|caption|captions|captioning|captioned|alt text|alt texts|explain|explains|explanation|interpret|interpreting|tell me about'),
  c('diagram', 'charts and diagrams', 'chart|charts|diagram|diagrams|graph|graphs|plot|plots|infographic|infographics|flowchart|slide|slides|whiteboard', IMAGE),
  c('image-gen', 'image generation', 'text to image|image generation|generate image|generate images|generate an image|generates images|create image|create images|creates images|create an image|create a picture|make a picture|make an image|image generator|draw|draws|drawing|illustrate|illustrates|illustrated|illustration|illustrations|artwork|artworks|art|concept art|render|renders|rendering|painting|paintings|paint|diffusion|stable diffusion|midjourney|dall e|dalle|poster|posters|logo|logos|mockup|mockups|product shots|product shot|storyboard|storyboards|cover art|wallpaper|avatar|avatars|sticker|prompt to image|picture of|image of|photo of', WHOLE),
  c('image-edit', 'image editing', 'inpainting|inpaint|outpainting|outpaint|erase|erases|remove object|remove objects|remove an object|retouch|retouching|edit photo|edit photos|edit image|edit images|image editing|photo editing|extend picture|extend image|replace part|restyle|restyling|style transfer|in the style of|artistic style|look like a painting|looks like a painting|as a painting|into a painting|cartoon|cartoonize|anime style|sketch to|turn into art|variations|variation|watercolor|oil painting|cartoonify|photoshop|touch up', IMAGE),
  c('segmentation', 'segmentation', '=segmentation|instance segmentation|semantic segmentation|segment anything|segment objects|segment the|mask|masks|masking|pixel mask|pixel masks|cutout|cutouts|cut out background|cut out objects|cut out subject|cut out person|remove background|remove the background|background removal|background remover|isolate subject|isolate the subject|isolate objects|isolate foreground|outline|outlines|matting|pixel accurate|pixel level', IMAGE),
  c('detection', 'object detection', 'object detection|detect objects|detects objects|object detector|detector|bounding box|bounding boxes|boxes around|draw boxes|draw box|locate objects|locates objects|count objects|count people|count cars|counting|yolo|find objects|spot objects|objects in|detect people|detect cars|detect vehicles|recognize objects|identify objects', IMAGE),
  c('tracking', 'object tracking', 'object tracking|multi object tracking|=tracking|tracker|trajectory|trajectories|follow player|follow players|follow person|follow people|follow cars|follow vehicles|follow objects|track objects|track people|track players|track across frames|across frames|persistent ids|bytetrack', VIDEO),
  c('pose', 'pose estimation', 'pose|poses|pose estimation|posture|postures|keypoints|keypoint|key points of the body|skeleton|skeletons|body landmarks|body position|=joints|body tracking|limbs', VIDEO),
  c('upscale', 'super-resolution', 'upscale|upscales|upscaled|upscaling|upscaler|super resolution|superresolution|enhance resolution|increase resolution|enlarge|enlarges|enlarging|bigger|higher resolution|hi res|high res|low res|low resolution|blurry|blurred|sharpen|sharper|sharpening|deblur|4x|2x|=pixelated|jpeg artifacts|compression artifacts', IMAGE),
  c('restore', 'photo restoration', 'restore|restores|restored|restoring|restoration|repair|repairs|old photo|old photos|old photographs|damaged|scratched|faded|=colorize|=colorise|=colorization|face restoration|restore faces|fix faces|fix the faces', IMAGE),
  c('face', 'faces', 'face|faces|facial|portrait|portraits|headshot|headshots', { ...IMAGE, ...CONTEXT }),
  c('video', 'video', 'video|videos|video clip|video clips|film clip|film clips|footage|film|films|filming|movie|movies|mp4|b roll|vlog|vlogs|youtube|tiktok|reel|reels|frames|frame by frame|camera feed|cctv|surveillance|security camera|webcam|dashcam|livestream', VIDEO),
  c('video-gen', 'video generation', 'text to video|video generation|generate video|generate videos|generate a video|generated video|create video|create a video|make a video|make video|video generator|=animate|=animates|=animated|=animating|=animation|=animations|bring to life|brings to life|moving clip|moving image|motion|image to video|photo to video|cinematic', WHOLE),
  // --- language and text
  c('translation', 'translation', 'translate|translates|translated|translating|translation|translations|translator|machine translation|=localize|=localizes|=localized|=localizing|=localization|=localizations|l10n|i18n|internationalization|language pair|language pairs|source language|target language|in another language|into english|to english|from english|foreign language|foreign languages'),
  c('lang-name', 'a named language', 'english|french|german|spanish|italian|portuguese|dutch|=polish|russian|ukrainian|czech|swedish|norwegian|danish|finnish|greek|turkish|arabic|hebrew|persian|farsi|hindi|bengali|urdu|tamil|telugu|marathi|punjabi|chinese|mandarin|cantonese|japanese|korean|vietnamese|thai|indonesian|malay|tagalog|filipino|swahili|yoruba|hausa|amharic|igbo|zulu|xhosa|somali|galician|catalan|basque|romanian|hungarian|quechua|nepali|khmer|lao|burmese|mongolian|pashto|tigrinya|wolof', CONTEXT),
  c('multilingual', 'multilingual', 'multilingual|multi lingual|many languages|several languages|other languages|100 languages|200 languages|any language|cross lingual|crosslingual|cross language|different languages|=international|non english'),
  c('low-resource', 'low-resource languages', 'low resource|low resource languages|rare languages|minority languages|indigenous|indigenous languages|african languages|swahili|yoruba|hausa|amharic|igbo|zulu|xhosa|somali|quechua|wolof|tigrinya|pashto|khmer|lao|burmese|nepali'),
  c('regional', 'regional and cultural fit', '=cultural|=culturally|region specific|regional language|regional languages|regional dialects|regional markets|regional nuance|regional nuances|regional context|regional adaptation|regional optimization|local idioms|dialect|dialects|local conventions|local markets|middle east|middle eastern|mena|north africa|north african|south asia|south asian|southeast asia|southeast asian|latin america|latin american|gulf states'),
  c('summarize', 'summarization', 'summarize|summarizes|summarized|summarizing|summarization|summary|summaries|summarizer|tl dr|tldr|condense|condenses|condensed|digest|digests|gist|key points|main points|recap|recaps|synopsis|abridge|shorten|shortened|sum up|sums up|=highlights|overview|brief|briefing|cliff notes|skim|executive summary'),
  c('long-doc', 'long documents', 'long document|long documents|lengthy|long text|long texts|long article|long articles|long report|long reports|whole book|entire book|book chapter|chapter|chapters|page report|pages long|50 page|60 page|100 page|200 page|300 page|500 page|hundreds of pages|many pages|long form|longform|long input|long inputs|book|books|manuscript|novel|novels'),
  c('chat', 'chat', 'chat|chats|chatbot|chatbots|chat bot|chat bots|=conversation|=conversations|=conversational|dialog|dialogs|dialogue|multi turn|multiturn|=converse|talk to|talk with|chat assistant|virtual assistant|customer support bot|support bot|messages array'),
  c('memory', 'conversation memory', 'remember|remembers|remembering|memory|history|conversation history|chat history|earlier|previous messages|previous|context|state|recall|forget|forgets|follow up|follow ups|keeps track'),
  c('reasoning', 'reasoning', 'reasoning|reason|reasons|step by step|logic|logical|think|thinking|think through|math|maths|mathematics|complex questions|tricky|hard questions|puzzle|puzzles|=analytical|problem solving|solve|solves|chain of thought|deduce|inference'),
  c('qa', 'question answering', 'question answering|questions|question|answer|answers|answering|ask|asks|asking|qa|faq|faqs|query|queries|look up|lookup', CONTEXT),
  c('text-gen', 'text generation', 'text generation|generate text|write|writes|writing|writer|compose text|content generation|copywriting|copy|essay|essays|blog post|blog posts|story|stories|creative writing|brainstorm|brainstorming|completion|completions|language model|large language model|gpt|instruction following|instructions'),
  c('structured', 'structured output', 'json|structured output|structured outputs|structured data|structured|schema|schemas|json schema|xml|yaml|parse|parseable|parsable|!machine readable|!code can parse|!program can parse|!script can parse|!parse programmatically|valid json|extract fields|key value|fields|function calling|typed output|well formed'),
  c('iterate', 'critique and retry loops', 'critique|critiques|critiquing|self critique|=iteratively|iterative refinement|iterate on|iterating on|self correct|self corrects|self correcting|self correction|previous attempts|feedback loop|feedback loops'),
  c('extract', 'information extraction', 'extract|extracts|extracted|extracting|extraction|pull out|pulls out|pull|pulls|grab|scrape|harvest'),
  c('streaming', 'streaming', 'stream|streams|streaming|streamed|!token by token|tokens as|!as they are generated|!as it is generated|!as they come|!as they arrive|!as it writes|!while it generates|!while it is generating|!as it is written|!while it is being written|!while it s being written|!as it is being written|!piece by piece|!bit by bit|!chunk by chunk|!instead of waiting for the whole|!without waiting for the whole|server sent events|sse|incremental|incrementally|chunked|live output|partial results|progressively|typing effect|!word by word'),
  c('realtime', 'low latency', 'real time|realtime|low latency|latency|lowest latency|immediately|right away|instant|instantly|=interactive|=interactively|milliseconds|fast|faster|fastest|quick|quickly|speed|speedy|in a second|time to first|starts playing|start playing|without waiting|=responsive|high throughput|frames per second|fps'),
  c('gen-params', 'generation settings', 'temperature|top p|top k|=sampling|sampler|creativity|creative|random|randomness|deterministic|=reproducible|diversity|diverse|max tokens|length limit|limit length|limit the length|how long|shorter answers|shorter responses|response length|answer length|verbosity|verbose|repetition|repeating|repeat itself|penalty|penalties|hyperparameters|seed|same answer|same answers|same output|same outputs|same result|same results|every time|each time|consistent output|consistent outputs|consistent answers|repeatable|reproducibility|less random|more random'),
  c('fine-tune', 'fine-tuning', '!fine tune|!fine tuning|!fine tuned|finetune|finetuning|finetuned|train on my data|train on our data|custom training|adapt the model|lora'),
  c('api', 'hosted API', 'api|apis|endpoint|endpoints|hosted|cloud|saas|http|rest|managed service|serverless|no infrastructure|without managing|without infrastructure|pay as you go|pay per use', CONTEXT),
  // --- code
  c('code', 'code', 'code|coding|coder|codes|programming|program|programs|programmer|programmers|software|source code|codebase|codebases|function|functions|script|scripts|scripting|bash|shell|powershell|python|javascript|typescript|java|kotlin|golang|rust|cpp|csharp|php|ruby|swift|scala|sql|html|css|react|node|nodejs|=ide|=ides|vs code|vscode|jetbrains|vim|neovim|repository|repositories|repo|repos|!pull request|!pull requests|!code block|!code blocks|pr|commit|commits|bug|bugs|buggy|debug|debugging|refactor|refactoring|snippet|snippets|api client|regex|compiler|developer tools|devtools|legacy code|boilerplate|!write code|!writes code|!writing code|!write a server|!write servers|!writing servers|!written code'),
  c('libraries', 'library usage', 'library calls|library usage|library api|library apis|third party libraries|data science libraries|numpy|scipy|matplotlib|sklearn|scikit learn'),
  c('code-completion', 'code completion', 'autocomplete|autocompletion|auto complete|code completion|code completions|complete code|completes code|inline suggestions|inline suggestion|inline completion|inline completions|suggestions while|as i type|while i type|as you type|copilot|fill in the middle|fill in middle|fim|tab completion|next line|cursor'),
  c('tests', 'test generation', 'unit test|unit tests|test case|test cases|tests|testing|test suite|test coverage|coverage|pytest|jest|junit|mocha|vitest|assertions|tdd'),
  c('code-review', 'code explanation and review', '!code review|!code reviews|review my code|review the code|review code|=reviewer|review my pull request|review pull requests|reviews pull requests|reviews each pull request|pull request review|pull request reviews|pr review|pr reviews|review prs|reviews prs|explain code|explain the code|explains code|what this code does|what the code does|understand code|understanding code|unfamiliar code|unfamiliar codebase|docstring|docstrings|document code|code comments|lint|linting|vulnerabilities'),
  c('code-port', 'code translation', 'port|ports|porting|ported|convert code|migrate|migrates|migrating|migration|migrations|transpile|transpiler|rewrite in|rewrite it in|translate code|code translation|upgrade code'),
  // --- retrieval
  c('embeddings', 'embeddings', '=embedding|=embeddings|=embed|=embeds|=embedder|=embedders|vector|vectors|vectorize|vectorise|vectorization|vector database|vector databases|vector db|vector store|vector search|pinecone|pgvector|faiss|qdrant|weaviate|milvus|chroma|dense retrieval|dense vectors|semantic search|semantic similarity|rag|retrieval augmented|retrieval augmented generation|sentence embeddings|cosine similarity|cosine'),
  c('similarity', 'similarity', 'similar|similarity|similarities|by meaning|semantically|semantic|nearest neighbor|nearest neighbors|nearest neighbour|near duplicate|near duplicates|duplicates|deduplicate|deduplication|dedupe|related|lookalike|resemble|=meaning'),
  c('search', 'search and retrieval', 'search|searches|searching|searchable|retrieval|retrieve|retrieves|retriever|retrievers|find documents|find passages|search engine|search engines|elasticsearch|opensearch|solr|bm25|knowledge base|knowledge bases|wiki|wikis|intranet|index|indexing|recall|chunks|passages|documents search|look through'),
  c('rerank', 'reranking', 'rerank|reranks|reranking|reranked|reranker|rerankers|re rank|re ranking|re ranker|reorder|reorders|reordering|re order|cross encoder|cross encoders|relevance|relevant|most relevant|=precision|rank results|ranking|rank documents|sort results|sort by relevance|order by relevance|top results|best results|rerank candidates|reorder candidates'),
  c('hybrid', 'hybrid search', 'hybrid search|hybrid retrieval|hybrid|keyword|keywords|keyword search|keyword matching|lexical|sparse|sparse vectors|sparse retrieval|exact match|exact matches|exact terms|product codes|=identifiers'),
  c('dimensions', 'vector size', 'dimensions|dimension|dimensionality|dimension reduction|smaller vectors|shrink|shrinks|compress embeddings|compress vectors|storage|storage costs|matryoshka|fewer dimensions|vector size|index size'),
  c('cluster', 'clustering', 'cluster|clusters|clustering|group|groups|grouping|group similar|themes|theme|topic discovery|segment customers|anomaly|anomalies|outlier|outliers|unusual|buckets|bucket'),
  // --- safety
  c('moderation', 'moderation and safety', '=moderation|=moderates|=moderating|=moderated|moderate content|moderate user|moderate comments|moderate posts|moderate messages|moderate images|=moderator|=moderators|safety|safe|unsafe|harmful|harm|harms|toxic|toxicity|abusive|abuse|!hate speech|hateful|hate|offensive|insult|insults|insulting|threat|threats|threatening|harassment|harass|bullying|nsfw|explicit content|explicit images|explicit imagery|explicit material|sexually explicit|sexual content|nudity|nude|nudes|porn|pornography|pornographic|gore|adult content|profanity|profane|obscene|obscenity|jailbreak|jailbreaks|jailbreaking|prompt injection|guardrail|guardrails|content policy|content policies|policy violation|policy violations|community guidelines|community rules|trust and safety|violent|violence|self harm|=extremism|=block|flag|flags|flagged|filter content|screen|screening|censor'),
  c('toxicity', 'toxicity', 'toxic|toxicity|abusive|abuse|!hate speech|hateful|offensive|insult|insults|insulting|threat|threats|threatening|harassment|bullying|profanity|profane|obscene|obscenity|rude|swearing|slurs|identity attack|trolls|trolling'),
  c('llm-safety', 'LLM guardrails', 'jailbreak|jailbreaks|prompt injection|guardrail|guardrails|llm inputs|llm outputs|llm input|llm output|chatbot answers|bot answers|bot replies|model outputs|assistant reply|assistant replies|unsafe prompts|harmful prompts|user prompts|prompt safety|reach my llm|reach the llm|before they reach'),
  // --- documents and OCR
  c('ocr', 'OCR', 'ocr|optical character recognition|text recognition|recognize text|recognise text|read text|reads text|text in images|text from images|text from image|text from a photo|text from photos|text in image|scanned|scan|scans|scanning|scanner|=digitize|=digitizes|=digitizing|=digitization|=digitized|typewritten|typed pages|printed text|=printed|handwriting|handwritten|searchable pdf|searchable pdfs|text layer|tesseract|receipt|receipts|invoice|invoices|paper documents|hocr', IMAGE),
  c('document', 'documents', 'document|documents|doc|docs|pdf|pdfs|docx|word document|word documents|powerpoint|pptx|slides deck|deck|page|pages|report|reports|paper|papers|manual|manuals|contract|contracts|form|forms|file|files|letter|letters|paperwork', CONTEXT),
  c('layout', 'layout and formatting', 'layout|layouts|=formatting|keep the formatting|keep formatting|preserve formatting|preserve layout|coordinates|word coordinates|word positions|word boxes|orientation|rotated|rotation|rotate|skewed|skew|deskew|upside down|sideways|straighten'),
  c('glossary', 'terminology', 'glossary|glossaries|terminology|terms|term base|brand terms|product names|consistent|consistently|consistency|same way|same translation|always translated'),
  // --- classification and analysis
  c('classify', 'classification', 'classify|classifies|classified|classifying|classification|classifier|classifiers|categorize|categorizes|categorized|categorizing|categorization|sort into|tag|tags|tagging|label|labels|labeling|route|routing|triage|bucket|which category|what category|category|categories|cat or dog|intent detection|detect the intent'),
  c('zero-shot', 'zero-shot', 'zero shot|zeroshot|without training|no training|without a training|without labeled data|without labelled data|no labeled data|no labelled data|no training data|without training data|labels i define|labels i choose|on the fly|any labels|custom labels|my own categories|without fine tuning|without collecting'),
  c('sentiment', 'sentiment', 'sentiment|sentiments|sentiment analysis|positive or negative|=positive|negative|neutral|opinion|opinions|how people feel|how customers feel|feel about|feeling|feelings|mood|moods|emotion|emotions|emotional|angry|anger|happy|unhappy|sad|sadness|upset|smile|smiles|smiling|frown|frowns|frowning|facial expression|facial expressions|satisfied|dissatisfied|satisfaction|frustrated|attitude|polarity|good or bad|like or dislike|brand perception|social listening|how people feel|how they feel|tone of voice|emotional tone'),
  c('reviews', 'reviews and feedback', 'review|reviews|product review|product reviews|customer review|customer reviews|user reviews|feedback|complaints|complaint|ratings|testimonials|survey|surveys|survey answers|survey responses', CONTEXT),
  c('social', 'social media', 'social media|social|twitter|tweet|tweets|x posts|instagram|facebook|reddit|tiktok|posts|post|forum|forums|comment|comments|comment section|replies|reply|threads|community|communities|chat messages|discord|slack', CONTEXT),
  c('topic', 'topics', 'topic|topics|topical|subject matter|themes|genre|genres|news category|what it is about'),
  c('ner', 'named entities', 'named entity|named entities|entity recognition|entity extraction|ner|entities|entity|names of people|people and companies|people and organisations|people and organizations|person names|personal names|company names|organization names|organisation names|organizations|organisations|companies|places|place names|locations|pii|personal data|personally identifiable|=anonymize|=anonymise|=anonymization|=anonymized|de identify|redact|redacts|redaction|mentions|mentioned'),
  c('email', 'email and tickets', 'email|emails|mail|mails|outlook mail|outlook inbox|outlook email|gmail|google mail|hotmail|imap|mailbox|mailboxes|inbox|inboxes|ticket|tickets|support tickets|helpdesk|help desk|customer messages|support messages|support requests', CONTEXT),
  c('mail-read', 'reading mail', 'inbox|inboxes|unread|new mail|new email|new emails|came in|incoming mail|incoming email|received mail|received emails|read mail|read my mail|read email|read emails|read my email|read my emails|check mail|check my mail|check email|check my email|who wrote to me|wrote to me|subject line|subject lines|go through my inbox|list emails|list my emails|search mail|search my mail|search email|search emails|retrieve emails|message retrieval|email retrieval|fetch emails|fetch mail|recent emails|latest emails'),
  c('mail-send', 'sending mail', 'send email|send emails|send an email|send mail|send an e mail|send e mail|fire off an email|email my team|mail my team|email the team|notify by email|email notification|email notifications|smtp|outgoing mail|outgoing email|email sending|sending email|sending emails|sends email|sends emails'),
  c('files', 'local files', 'local files|files on disk|files on my computer|file system|filesystem|folder|local folder|local directory|read files|write files|file access|disk|hard drive|local drive'),
  c('computer-use', 'operating a computer', 'computer use|clicks around|click buttons|clicks buttons|clicking buttons|browser automation|web automation|mouse and keyboard|moves the mouse|control my computer|control the desktop|operate the desktop|desktop automation|gui automation|screen automation|rpa'),
  c('plain-language', 'plain-language instructions', '!plain english|plain language|!plain words|everyday language|in natural language|from natural language|natural language instructions|natural language instruction|natural language descriptions|natural language description|natural language commands|natural language requests|natural language queries|natural language tasks|natural language task', CONTEXT),
  c('ci', 'continuous integration', 'ci cd|continuous integration|github actions|github action|gitlab ci|jenkins|circleci|workflow file|workflow files|github workflow|github workflows|ci pipeline|ci pipelines|ci runner|ci runners|actions runner|actions runners|failing build|broken build|build fails|build failure|build failures'),
  c('hallucination', 'hallucination', 'hallucinate|hallucinates|hallucinated|hallucinating|hallucination|hallucinations|confabulate|confabulates|confabulation|made up facts|made up answers|make things up|makes things up|making things up|make stuff up|makes stuff up|making stuff up|plausible sounding|invented facts|fabricated facts'),
  c('shared-backend', 'one backend for many clients', 'several front ends|multiple front ends|many front ends|different front ends|several frontends|multiple frontends|many frontends|different frontends|shared backend|one backend|single backend|agent backend|agent server|!agent logic'),
  c('context-select', 'choosing the context by hand', 'hand pick context|hand picked context|handpick context|handpicked context|hand pick files|hand picked files|hand pick snippets|select context|selected context|selecting context|context selection|manual context|control what context|what context the ai sees'),
  c('sandbox', 'sandboxed execution', 'sandbox|sandboxes|sandboxed|sandboxing|isolated environment|isolated environments|isolated shell|isolated container|isolated filesystem|isolated execution|container|containers|containerized|containerised|containerization|docker|microvm|execution environment|execution environments|virtual machine|virtual machines|firecracker'),
  c('shell', 'shell and terminal', 'terminal|shell|bash|zsh|command line|commandline|cli|tty|pty|shell command|command prompt'),
  c('versioning', 'versions and changes', 'versioning|versioned|version history|schema versions|changelog|changelogs|breaking change|breaking changes|between releases|across releases|between versions|across versions|evolved over time'),
  c('permissions', 'permissions and access policy', 'access control|access policy|access policies|security policy|security policies|security rules|least privilege|allowlist|allow list|denylist|deny list'),
  c('model-routing', 'choosing a model per request', 'model routing|route between models|picks the model|picks the best model|choose the model|chosen per request|model per request|automatic model selection|auto router|best model for each|right model for each|easy questions to|easy prompts to|hard ones to|hard questions to'),
  c('prompt-enhance', 'prompt improvement', 'improve my prompt|better prompts|rewrite my prompt|expand my prompt|prompt enhancement|prompt expansion|enhance prompts|recaption|prompt rewriting|flesh out my prompt'),
  c('ide', 'code editors', 'vs code|vscode|visual studio code|ide|code editor|editor extension|editor plugin|jetbrains|intellij|neovim|vim|emacs|in my editor|text editor'),
  c('benchmark', 'benchmarks and evals', 'benchmark|benchmarks|benchmarking|benchmarked|leaderboard|leaderboards|=eval|=evals|evaluation suite|evaluation harness|eval harness|eval suite|pass at k'),
  c('contamination', 'benchmark contamination', 'contamination|seen during training|saw during training|in its training data|data leakage|test leakage|leaked into training|memorised the test|memorised the questions|memorised the benchmark|memorised the answers'),
  c('multi-agent', 'multi-agent', 'multi agent|multiagent|multiple agents|several agents|many agents|two agents|two ai bots|two bots|team of agents|agent team|agents talk to each other|agents that talk|agents collaborate|agents working together|crew of agents|swarm|role based agents|agents with different roles|agents with different jobs'),
  c('model-size', 'model size and cost/quality tier', 'model size|model sizes|size of the model|model tier|model tiers|=tiered model|=tiered models|smaller model|smaller models|larger model|larger models|bigger model|bigger models|=parameter count|=parameter counts|cost vs quality|quality vs cost|price performance'),
  c('gateway', 'gateways and routing', 'gateway|proxy|unified api|one endpoint for|single endpoint for|one api for|single api for|one api key|single api key|one key for|route requests|multiplex'),
  c('web-search', 'live web search', 'web search|web searches|search the web|searches the web|searching the web|internet search|search the internet|browse the web|browses the web|web browsing|live web|current web|up to date information|up to date answers|up to date facts|current events|current information|latest news|today s news|breaking news|fact check|fact checking|up to date info|up to date data|up to date knowledge|=today news|=todays news|news today|real time information|web grounded|web grounding|grounded in the web|browsing the web'),
  c('news', 'news and articles', '=news|article|articles|newsletter|newsletters|headline|headlines|press|press release|journalism|journalist|journalists|blog|blogs|story|stories', CONTEXT),
  // --- tables and data
  c('table', 'tables and spreadsheets', 'table|tables|tabular|spreadsheet|spreadsheets|csv|csvs|excel|xlsx|sheet|sheets|google sheets|rows|row|columns|column|dataframe|dataframes|pandas|cells|cell|database table'),
  c('database', 'databases', 'database|databases|postgres|postgresql|mysql|mariadb|sqlite|mongodb|sql server|sql database|sql databases|production database|live database|supabase|dynamodb', CONTEXT),
  c('aggregate', 'aggregation', 'total|totals|sum|sums|average|averages|=mean|median|=count|how many|per year|per month|=aggregate|=aggregates|=aggregation|=aggregations|statistics|add up'),
  // --- deployment and cost
  c('offline', 'offline or self-hosted', 'offline|without internet|no internet|without an internet|on device|on devices|ondevice|=local|=locally|!self hosted|!self hosting|!self host|selfhosted|on prem|on premise|on premises|onprem|air gapped|airgapped|privacy|private|own servers|own server|own hardware|own gpus|own gpu|own infrastructure|own machine|never leaves|not leave|leave our|inside our network|edge|=embedded|raspberry pi|raspberry|kiosk|home automation|open weights|open source|open model'),
  c('cost', 'cost', 'free|cheap|cheaper|low cost|cost effective|costs|no fees|without fees|per character fees|per minute fees|budget|without paying|pay per|affordable'),
  c('license', 'licensing', 'royalty free|royalty|license|licensed|licensing|commercial use|=permissive|apache|mit license'),
  c('batch', 'batch processing', 'batch|batches|bulk|in bulk|large scale|at scale|thousands|millions|million|huge|corpus|corpora|dataset|datasets|archive|archives|every row|whole collection|mass|pipeline|pipelines|offline processing|backfill', CONTEXT),
  c('education', 'education and teaching', '=students|=teachers|educational|education|edtech|tutor|tutors|tutoring|classroom|classrooms|homework|lesson plan|lesson plans|curriculum|school|schools|pupils|elearning', CONTEXT),
  c('accessibility', 'accessibility', '=accessibility|=accessible|blind|visually impaired|screen reader|screen readers|low vision|deaf|hard of hearing|a11y', CONTEXT),
  c('people', 'people', 'people|=person|=persons|pedestrians|pedestrian|humans|human|crowd|crowds|players|player|athletes|workers', CONTEXT),
  c('vehicles', 'vehicles', 'car|cars|vehicle|vehicles|traffic|trucks|truck|bikes|license plates', CONTEXT),
  c('meeting', 'meetings and calls', 'meeting|meetings|phone call|phone calls|conference call|sales call|sales calls|support calls|customer calls|video call|video calls|call recording|call recordings|call centre|call center|interview|interviews|lecture|lectures|webinar|webinars|conference|conferences|zoom|teams call|standup|board meeting|sermon|sermons|court hearing|podcast|podcasts', CONTEXT),
];

/** A compiled vocabulary: a trie over stem sequences, built once per index from CONCEPTS. */
export interface Vocabulary {
  readonly concepts: readonly Concept[];
  /** Concept index -> term string used in the index (`@id`). */
  readonly termOf: readonly string[];
  /** Concept index -> indexes of the concepts it implies (see Concept.implies). */
  readonly implied: readonly (readonly number[])[];
  readonly root: TrieNode;
  /** Every stem some phrase is made of (typo repair: a word the vocabulary reads is worth repairing into). */
  readonly stems: ReadonlySet<string>;
}

export interface TrieNode {
  next: Map<string, TrieNode>;
  /** Concepts of the phrases that end at this node. */
  concepts: number[];
  /** Whether a phrase ending here claims its words (see findConcepts). */
  claims: boolean;
}

const newNode = (): TrieNode => ({ next: new Map(), concepts: [], claims: false });

/** Words allowed between the words of a phrase: "read my posts aloud" still says "read aloud". */
export const PHRASE_GAP = 2;

/**
 * Entry syntax: plain words match on stems; `=word` matches the (spelling-folded) word exactly, for words whose
 * stem collides with another meaning ("embedded" vs "embeddings"); `!phrase` claims its words so they yield no
 * other concept ("hate speech" is not audio, "fine tune" is not music).
 */
export function compileVocabulary(stems: StemCache, concepts: readonly Concept[] = CONCEPTS): Vocabulary {
  const root = newNode();
  const words = new Set<string>();
  concepts.forEach((concept, ci) => {
    for (const entry of concept.terms) {
      const claims = entry.startsWith('!');
      const body = claims ? entry.slice(1) : entry;
      const exact = body.startsWith('=');
      const toks = stems.stream(exact ? body.slice(1) : body);
      // A single stop word would fire on nearly any text; the vocabulary tests keep such entries out.
      if (!toks.length || (toks.length === 1 && !toks[0]!.content)) continue;
      let node = root;
      for (const t of toks) {
        const key = exact ? t.exact : t.stem;
        if (t.content) words.add(t.stem);
        let n = node.next.get(key);
        if (!n) node.next.set(key, (n = newNode()));
        node = n;
      }
      if (!node.concepts.includes(ci)) node.concepts.push(ci);
      node.claims ||= claims;
    }
  });
  const byId = new Map(concepts.map((x, i) => [x.id, i]));
  const implied = concepts.map((x) => (x.implies ?? []).map((id) => byId.get(id)).filter((i): i is number => i !== undefined));
  return { concepts, termOf: concepts.map((x) => `@${x.id}`), implied, root, stems: words };
}

/** A concept found in a token stream, covering tokens [start, end). */
export interface ConceptHit {
  concept: number;
  start: number;
  end: number;
}

interface Match {
  end: number;
  /** Phrase words matched (more is better; gaps do not count). */
  len: number;
  node: TrieNode;
}

/**
 * At each position, the phrase with the most words starting there (then the tightest). Matches may overlap
 * ("picture of" -> image generation, and "picture" -> image), except that a claiming phrase hides the concepts
 * that would start inside it, and the other concepts of a phrase that reaches into it from before ("detect hate
 * speech" is not "detect speech", voice activity, with a word between).
 */
export function findConcepts(vocab: Vocabulary, tokens: readonly StreamToken[], out: ConceptHit[] = []): ConceptHit[] {
  const n = tokens.length;
  const first = out.length;
  let claimedUntil = 0;
  let claims: { start: number; end: number; concepts: readonly number[] }[] | undefined;
  const root = vocab.root.next;
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    // Fast path: most words start no phrase.
    if (!root.has(t.stem) && !root.has(t.exact)) continue;
    const m = bestFrom(vocab.root, tokens, i, 0, false);
    if (!m) continue;
    if (i < claimedUntil && m.end <= claimedUntil) continue;
    for (const ci of m.node.concepts) out.push({ concept: ci, start: i, end: m.end });
    if (m.node.claims) {
      claimedUntil = Math.max(claimedUntil, m.end);
      (claims ??= []).push({ start: i, end: m.end, concepts: m.node.concepts });
    }
  }
  if (claims) {
    let w = first;
    for (let r = first; r < out.length; r++) {
      const h = out[r]!;
      if (!claims.some((c) => h.start < c.start && h.end > c.start && h.end <= c.end && !c.concepts.includes(h.concept))) out[w++] = h;
    }
    out.length = w;
  }
  return out;
}

function better(a: Match | undefined, b: Match | undefined): Match | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.len !== b.len) return a.len > b.len ? a : b;
  return a.end <= b.end ? a : b;
}

// Depth-first over the trie; each step may follow the stem edge or the exact-word edge, and once the phrase has
// matched a content word it may skip up to PHRASE_GAP words before the next ("text to natural speech"). Until then
// its words must be adjacent: a run of function words means nothing apart ("what is in", a request to describe an
// image, would match "describe what I want in plain english"). Phrases are short, so the search stays tiny.
function bestFrom(node: TrieNode, tokens: readonly StreamToken[], j: number, depth: number, gaps: boolean): Match | undefined {
  let best: Match | undefined;
  const maxJ = gaps ? Math.min(tokens.length - 1, j + PHRASE_GAP) : j;
  for (let k = j; k <= maxJ; k++) {
    const t = tokens[k]!;
    const a = node.next.get(t.stem);
    if (a) best = step(best, a, tokens, k, depth, gaps);
    const b = node.next.get(t.exact);
    if (b) best = step(best, b, tokens, k, depth, gaps);
  }
  return best;
}

function step(best: Match | undefined, next: TrieNode, tokens: readonly StreamToken[], k: number, depth: number, gaps: boolean): Match | undefined {
  if (next.concepts.length) best = better(best, { end: k + 1, len: depth + 1, node: next });
  if (next.next.size && k + 1 < tokens.length) best = better(best, bestFrom(next, tokens, k + 1, depth + 1, gaps || tokens[k]!.content));
  return best;
}
