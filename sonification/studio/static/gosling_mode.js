// Highlighting for the Rubber Gosling drum language (drums/language.py),
// a CodeMirror 5 simple mode: the grammar's keywords, numbers, comments.
CodeMirror.defineSimpleMode('gosling', {
  start: [
    {regex: /\/\/.*/, token: 'comment'},
    {regex: /\bbpm\b/, token: 'keyword'},
    {regex: /\b(?:source|learn|predict)\b/, token: 'def'},
    {regex: /\b(?:kick|snare|closedhat|openhat)\b/, token: 'variable-2'},
    {regex: /\b(?:lead|bass)\b/, token: 'variable-3'},
    {regex: /\b(?:dist|amp|lpf|hpf)\b/, token: 'builtin'},
    {regex: /\b(?:cut|res|env)(?:_mouse[xy]|\d+(?:\.\d+)?|\.\d+)\b/, token: 'atom'},
    {regex: /(?:\d+(?:\.\d*)?|\.\d+)/, token: 'number'},
    {regex: /[*+,:;()]/, token: 'operator'},
  ],
  meta: {lineComment: '//'},
});
