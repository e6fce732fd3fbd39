/**
 * TypeDoc plugin (typedoc.json): every exported class must open with a comment that has an `@example`, so the API
 * reference shows how to use each one. A missing one is a warning naming the class, its file and line, and what
 * to add; `npm run docs` treats warnings as errors.
 */
import { Application, ReflectionKind } from 'typedoc';

/** @param {Application} app */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    for (const cls of project.getReflectionsByKind(ReflectionKind.Class)) {
      const comment = cls.comment;
      if (comment?.blockTags.some((tag) => tag.tag === '@example')) continue;
      const source = cls.sources?.[0];
      const where = source ? `${source.fileName}:${source.line}` : 'unknown file';
      app.logger.warn(
        `${cls.getFriendlyFullName()} (Class), defined in ${where}, ${comment ? 'has a class comment without an @example' : 'has no class comment'}: ` +
          'add /** what it is … @example new … */ right above `export class`',
      );
    }
  });
}
